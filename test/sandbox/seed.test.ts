// Seeding: the example directory, schema and reference checks on seed files, and the rule that
// seeding a database that already has a directory changes nothing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SandboxClock } from '../../src/sandbox/clock.js';
import { applySeed, bootstrap, loadSeed, type SeedFile } from '../../src/sandbox/seed.js';
import { SandboxStore } from '../../src/sandbox/store.js';
import { allEvents, exampleAdminKey, exampleSeed, startHarness } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'accessctl-seed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeSeed(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

function counts(store: SandboxStore): Record<string, number> {
  const tables = ['orgs', 'api_keys', 'users', 'user_groups', 'group_members', 'applications', 'group_applications', 'events'];
  return Object.fromEntries(tables.map((t) => [t, (store.db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]));
}

describe('the example directory', () => {
  it('seeds the engineering example', async () => {
    const h = await startHarness();
    try {
      const groups = await h.call<{ name: string; id: string }[]>('GET', '/api/v2/usergroups?sort=name&limit=100');
      expect(groups.body.map((g) => g.name)).toEqual([
        'Engineering Admin',
        'Engineering All',
        'Engineering User',
        'GitHub Admins',
        'GitHub Users',
        'Security Leads',
      ]);
      const members = async (name: string) => (await h.call<unknown[]>('GET', `/api/v2/usergroups/${await h.groupId(name)}/members?limit=100`)).body.length;
      expect(await members('Engineering User')).toBeGreaterThan(0);
      expect(await members('Engineering Admin')).toBeGreaterThan(0);
      expect(await members('Security Leads')).toBeGreaterThan(0);
      const apps = await h.call<{ results: { _id: string; displayLabel: string }[] }>('GET', '/api/applications');
      expect(apps.body.results.map((a) => a.displayLabel)).toEqual(['GitHub']);
      const appGroups = await h.call<{ to: { id: string } }[]>('GET', `/api/v2/applications/${apps.body.results[0]?._id}/associations?targets=user_group`);
      expect(appGroups.body.map((a) => a.to.id).sort()).toEqual([await h.groupId('GitHub Admins'), await h.groupId('GitHub Users')].sort());
      expect(h.sandbox.adminKey).toBe(exampleAdminKey);
      expect(h.sandbox.adminKeyMinted).toBe(false);
    } finally {
      await h.close();
    }
  });

  it('gives every Engineering Admin member a manager who can approve', async () => {
    const h = await startHarness();
    try {
      const admins = await h.call<{ to: { id: string } }[]>('GET', `/api/v2/usergroups/${await h.groupId('Engineering Admin')}/members`);
      for (const member of admins.body) {
        const user = await h.call<{ manager?: string }>('GET', `/api/systemusers/${member.to.id}`);
        expect(user.body.manager).toMatch(/^[0-9a-f]{24}$/);
      }
    } finally {
      await h.close();
    }
  });
});

describe('seeded notification channels', () => {
  const siemId = '65a0000000000000000000c1';

  it("seeds the example's console-made SIEM channel under the id config names, with no event", async () => {
    const h = await startHarness();
    try {
      const channel = await h.call('GET', `/api/v2/notifications/webhook/channels/${siemId}`);
      expect(channel.status).toBe(200);
      expect(channel.body).toEqual({
        id: siemId,
        name: 'SIEM',
        url: 'https://siem.example.com/ingest',
        enabled: true,
        verifySsl: true,
        sensitiveValues: {},
        headers: [{ name: 'X-Source', value: 'jumpcloud', sensitive: false }],
        secretsFingerprint: expect.stringMatching(/^hmac-sha256:[0-9a-f]{32}:[0-9a-f]{64}$/),
        createdBy: 'sandbox',
        updatedBy: 'sandbox',
      });
      const settings = await h.call('PUT', '/api/v2/approvalflowsettings', {
        channelEvents: [{ channelObjectId: siemId, eventTypes: ['ACCESS_MANAGEMENT_ACCESS_REQUEST'] }],
      });
      expect(settings.status).toBe(200);
      const events = await allEvents(h);
      expect(events.map((e) => e.event_type)).toEqual(['access_management_access_request_settings_update']);
    } finally {
      await h.close();
    }
  });

  it('keeps seeded secrets write-only and hands out later ids above a seeded one', async () => {
    const high = 'ffffff000000000000000001';
    const signingSecret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const seed: SeedFile = {
      organizations: [
        {
          name: 'Secrets',
          channels: [
            {
              id: high,
              name: 'Pager',
              url: 'https://pager.example.com/{{TOKEN}}',
              enabled: false,
              verifySsl: false,
              sensitiveValues: { TOKEN: 'seeded-token-value-1' },
              signingSecret,
            },
            { name: 'Second', url: 'https://second.example.com/' },
          ],
        },
      ],
    };
    const h = await startHarness({ seed });
    try {
      const list = await h.call<{ results: Record<string, unknown>[] }>('GET', '/api/v2/notifications/webhook/channels');
      expect(list.body.results.map((c) => [c['name'], c['enabled'], c['verifySsl'], c['sensitiveValues'], c['signingSecret']])).toEqual([
        ['Pager', false, false, { TOKEN: '********' }, '********'],
        ['Second', true, true, {}, undefined],
      ]);
      expect(JSON.stringify(list.body)).not.toContain('seeded-token-value-1');
      expect(JSON.stringify(list.body)).not.toContain(signingSecret.slice(6));
      const second = list.body.results[1]?.['id'] as string;
      expect(BigInt(`0x${second}`) > BigInt(`0x${high}`)).toBe(true);
      const group = await h.call<{ id: string }>('POST', '/api/v2/usergroups', { name: 'After seeding' });
      expect(BigInt(`0x${group.body.id}`) > BigInt(`0x${high}`)).toBe(true);
    } finally {
      await h.close();
    }
  });

  it('refuses seed channels the channel API would refuse, repeated names and repeated ids', () => {
    const file = writeSeed(
      'bad-channels.yaml',
      [
        'organizations:',
        '  - name: X',
        '    channels:',
        '      - { id: 65a0000000000000000000c1, name: A, url: "https://a.example.com/{{TOKEN}}" }',
        '      - { id: 65a0000000000000000000c1, name: A, url: "ftp://a.example.com/", headers: { Host: h.example.com } }',
      ].join('\n'),
    );
    expect(() => loadSeed(file)).toThrow(/channel A appears twice/);
    let message = '';
    try {
      loadSeed(file);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('channel id 65a0000000000000000000c1 appears twice');
    expect(message).toContain('X: channel A: sensitiveValues has no value for the URL placeholder {{TOKEN}}');
    expect(message).toContain('X: channel A: url must use http or https');
    expect(message).toContain('X: channel A: headers[0].name is set by the sandbox itself');
  });

  it('refuses a seed channel that breaks the schema, naming the place', () => {
    const file = writeSeed(
      'bad-channel-schema.yaml',
      'organizations:\n  - name: X\n    channels:\n      - { id: C1, name: A, url: https://a.example.com/, secret: x }\n',
    );
    expect(() => loadSeed(file)).toThrow(/\/organizations\/0\/channels\/0/);
  });
});

describe('seeding', () => {
  it('changes nothing when the database already has a directory', () => {
    const path = join(dir, 'twice.db');
    const clock = new SandboxClock({ frozenAt: 0 });
    const first = new SandboxStore(path, clock);
    expect(bootstrap(first, exampleSeed)).toMatchObject({ seeded: true, adminKey: exampleAdminKey, minted: false });
    const before = counts(first);
    const docs = JSON.stringify(first.db.prepare('SELECT doc FROM users ORDER BY id').all());
    first.close();
    const second = new SandboxStore(path, clock);
    expect(bootstrap(second, exampleSeed)).toMatchObject({ seeded: false, adminKey: exampleAdminKey, minted: false });
    expect(applySeed(second, { organizations: [{ name: 'Other' }] })).toBe(false);
    expect(counts(second)).toEqual(before);
    expect(JSON.stringify(second.db.prepare('SELECT doc FROM users ORDER BY id').all())).toBe(docs);
    second.close();
  });

  it('creates an empty organization and mints a key when started without a seed', () => {
    const store = new SandboxStore(':memory:', new SandboxClock({ frozenAt: 0 }));
    const boot = bootstrap(store, undefined);
    expect(boot.minted).toBe(true);
    expect(boot.adminKey).toMatch(/^sandbox_[A-Za-z0-9_-]{32}$/);
    expect(counts(store)).toMatchObject({ orgs: 1, api_keys: 1, users: 0 });
    store.close();
  });

  it('refuses a seed that breaks the schema, naming the place', () => {
    const file = writeSeed(
      'bad-schema.yaml',
      'organizations:\n  - name: X\n    users:\n      - { username: a, email: not-an-email, firstname: A, lastname: B, colour: red }\n',
    );
    expect(() => loadSeed(file)).toThrow(/\/organizations\/0\/users\/0/);
  });

  it('refuses a seed whose references do not resolve', () => {
    const file = writeSeed(
      'bad-refs.yaml',
      [
        'organizations:',
        '  - name: X',
        '    users:',
        '      - { username: a, email: a@example.com, firstname: A, lastname: B, manager: ghost }',
        '    groups:',
        '      - { name: G, members: [nobody] }',
        '    applications:',
        '      - { name: app, displayLabel: App, groups: [Missing] }',
        'adminKeys:',
        '  - { name: k, email: k@example.com, key: sandbox-test-key-0001, organizations: [Elsewhere] }',
      ].join('\n'),
    );
    const error = (() => {
      try {
        loadSeed(file);
        return undefined;
      } catch (caught) {
        return caught as Error;
      }
    })();
    expect(error?.message).toContain("a's manager ghost is not a user");
    expect(error?.message).toContain("group G's member nobody is not a user");
    expect(error?.message).toContain("application app's group Missing is not a group");
    expect(error?.message).toContain('names organization Elsewhere');
  });

  it('refuses YAML that does not parse and a file that does not exist', () => {
    expect(() => loadSeed(writeSeed('broken.yaml', 'organizations: [\n'))).toThrow(/broken\.yaml/);
    expect(() => loadSeed(join(dir, 'absent.yaml'))).toThrow(/cannot read seed file/);
  });

  it('reports a repeated API key without printing it', () => {
    const key = 'sandbox-repeated-key-0001';
    const file = writeSeed(
      'repeat.yaml',
      `organizations:\n  - name: X\n    users:\n      - { username: a, email: a@example.com, firstname: A, lastname: B, apiKey: ${key} }\nadminKeys:\n  - { name: k, email: k@example.com, key: ${key} }\n`,
    );
    expect(() => loadSeed(file)).toThrow(/appears more than once/);
    try {
      loadSeed(file);
    } catch (error) {
      expect((error as Error).message).not.toContain(key);
    }
  });
});
