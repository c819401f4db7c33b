// Durability: kill -9 the real process in the middle of a burst of writes, restart it on the
// same database, and find every acknowledged write there, with an event log that matches.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, it } from 'vitest';
import { userKeys } from './harness.js';
import { spawnSandbox, type SandboxProcess } from './process.js';
import { Receiver } from './receiver.js';

const dir = mkdtempSync(join(tmpdir(), 'accessctl-durability-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function call(
  sandbox: SandboxProcess,
  method: string,
  path: string,
  body?: unknown,
  key: string = sandbox.adminKey,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.json() };
}

describe('durability', () => {
  it('keeps every acknowledged write, and its event, across kill -9', async () => {
    const db = join(dir, 'sandbox.db');
    const args = ['--port', '0', '--db', db, '--seed', 'examples/directory.yaml'];
    const first = await spawnSandbox(args);
    const groups = (await call(first, 'GET', '/api/v2/usergroups?limit=100')).body as { id: string; name: string }[];
    const groupId = (name: string) => groups.find((g) => g.name === name)?.id ?? '';

    const acknowledged: { kind: 'flow' | 'group'; id: string; name: string }[] = [];
    let next = 0;
    let killed = false;
    const writer = async (): Promise<void> => {
      while (!killed) {
        const n = next++;
        const isFlow = n % 2 === 0;
        const name = `${isFlow ? 'Flow' : 'Group'} ${n}`;
        try {
          const answer = isFlow
            ? await call(first, 'POST', '/api/v2/approvalflows', {
                name,
                category: 'Application',
                resourceType: 'user_group',
                resourceId: groupId('GitHub Users'),
                visibleTo: [groupId('Engineering User')],
                approvalType: 'automated',
              })
            : await call(first, 'POST', '/api/v2/usergroups', { name });
          if (answer.status !== 200 && answer.status !== 201) throw new Error(`write ${name} answered ${answer.status}`);
          acknowledged.push({ kind: isFlow ? 'flow' : 'group', id: (answer.body as { id: string }).id, name });
          if (acknowledged.length === 60 && !killed) {
            killed = true;
            first.child.kill('SIGKILL'); // while the other writers' requests are in flight
          }
        } catch (error) {
          if (!killed) throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: 6 }, () => writer()));
    expect(await first.exited).toMatchObject({ signal: 'SIGKILL' });
    expect(acknowledged.length).toBeGreaterThanOrEqual(60);

    const second = await spawnSandbox(args);
    try {
      const flows = (await call(second, 'GET', '/api/v2/approvalflows?limit=100')).body as {
        results: { id: string; name: string }[];
        totalCount: number;
      };
      const allFlows = [...flows.results];
      for (let skip = 100; skip < flows.totalCount; skip += 100) {
        allFlows.push(...((await call(second, 'GET', `/api/v2/approvalflows?limit=100&skip=${skip}`)).body as typeof flows).results);
      }
      const groupsAfter = (await call(second, 'GET', '/api/v2/usergroups?limit=100')).body as { id: string; name: string }[];
      const stored = new Map([...allFlows, ...groupsAfter].map((o) => [o.id, o.name]));
      for (const write of acknowledged) expect(stored.get(write.id), write.name).toBe(write.name);

      const events = (await call(second, 'POST', '/insights/directory/v1/events', { service: ['all'], start_time: '1970-01-01T00:00:00Z' })).body as {
        event_type: string;
        resource: { id: string };
      }[];
      const created = (type: string) =>
        events
          .filter((e) => e.event_type === type)
          .map((e) => e.resource.id)
          .sort();
      // Every stored object made over the API has its create event, and every create event its object.
      expect(created('access_management_approval_flow_create')).toEqual(allFlows.map((f) => f.id).sort());
      const seeded = new Set(groups.map((g) => g.id));
      expect(created('user_group_create')).toEqual(
        groupsAfter
          .filter((g) => !seeded.has(g.id))
          .map((g) => g.id)
          .sort(),
      );
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });

  it('delivers a webhook committed before kill -9 after the restart, with the same webhook-id', async () => {
    const db = join(dir, 'webhooks.db');
    const args = ['--port', '0', '--db', db, '--seed', 'examples/directory.yaml', '--allow-private-webhooks'];
    const receiver = new Receiver();
    await receiver.up();
    // First life: every delivery hangs unanswered, so none is acknowledged before the kill.
    let answer = false;
    receiver.respond = (_request, response) => {
      if (answer) response.writeHead(204).end();
    };
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const first = await spawnSandbox(args);
    try {
      const groups = (await call(first, 'GET', '/api/v2/usergroups?limit=100')).body as { id: string; name: string }[];
      const groupId = (name: string) => groups.find((g) => g.name === name)?.id ?? '';
      const flow = await call(first, 'POST', '/api/v2/approvalflows', {
        name: 'GitHub User',
        category: 'Application',
        resourceType: 'user_group',
        resourceId: groupId('GitHub Users'),
        visibleTo: [groupId('Engineering User')],
        approvalType: 'automated',
      });
      const channel = await call(first, 'POST', '/api/v2/notifications/webhook/channels', {
        name: 'Local',
        url: receiver.url(),
        signingSecret: secret,
      });
      const channelId = (channel.body as { id: string }).id;
      await call(first, 'PUT', '/api/v2/approvalflowsettings', {
        resourceRequest: true,
        channelEvents: [
          {
            channelObjectId: channelId,
            eventTypes: ['ACCESS_MANAGEMENT_ACCESS_REQUEST', 'ACCESS_MANAGEMENT_ACCESS_REQUEST_APPROVAL', 'ACCESS_MANAGEMENT_ASSOCIATION_CHANGE'],
          },
        ],
      });
      const submitted = await call(
        first,
        'POST',
        '/api/v2/approvalflowrequest',
        { approvalFlowId: (flow.body as { id: string }).id, remarks: 'kill test' },
        userKeys.alice,
      );
      expect(submitted.status).toBe(201);
      await receiver.until(3);
    } finally {
      first.child.kill('SIGKILL');
    }
    expect(await first.exited).toMatchObject({ signal: 'SIGKILL' });
    const firstLife = receiver.received.slice();

    answer = true;
    const second = await spawnSandbox(args);
    try {
      await receiver.until(firstLife.length + 3);
      const verifier = new Webhook(secret);
      const idsByEvent = new Map<string, Set<string>>();
      for (const request of receiver.received) {
        const [event] = (verifier.verify(request.body, request.headers as Record<string, string>) as { di_events: { id: string }[] }).di_events;
        if (event === undefined) throw new Error('a delivery without an event');
        const ids = idsByEvent.get(event.id) ?? new Set<string>();
        ids.add(String(request.headers['webhook-id']));
        idsByEvent.set(event.id, ids);
      }
      expect(idsByEvent.size).toBe(3);
      for (const ids of idsByEvent.values()) expect(ids.size).toBe(1);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
      await receiver.down();
    }
  });
});
