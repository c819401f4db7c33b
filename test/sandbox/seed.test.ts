// Seeding: the example directory, schema and reference checks on seed files, and the rule that
// seeding a database that already has a directory changes nothing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SandboxClock } from '../../src/sandbox/clock.js';
import { applySeed, bootstrap, loadSeed } from '../../src/sandbox/seed.js';
import { SandboxStore } from '../../src/sandbox/store.js';
import { exampleAdminKey, exampleSeed, startHarness } from './harness.js';

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
      const members = async (name: string) =>
        (await h.call<unknown[]>('GET', `/api/v2/usergroups/${await h.groupId(name)}/members?limit=100`)).body.length;
      expect(await members('Engineering User')).toBeGreaterThan(0);
      expect(await members('Engineering Admin')).toBeGreaterThan(0);
      expect(await members('Security Leads')).toBeGreaterThan(0);
      const apps = await h.call<{ results: { _id: string; displayLabel: string }[] }>('GET', '/api/applications');
      expect(apps.body.results.map((a) => a.displayLabel)).toEqual(['GitHub']);
      const appGroups = await h.call<{ to: { id: string } }[]>(
        'GET',
        `/api/v2/applications/${apps.body.results[0]?._id}/associations?targets=user_group`,
      );
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
