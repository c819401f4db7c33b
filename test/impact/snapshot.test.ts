// The directory snapshot file: the seed format's users, managers, groups and members, checked
// against the seed schema and for references, with errors that name the place and never print a key.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AccessctlError } from '../../src/errors.js';
import { readDirectorySnapshot, SNAPSHOT_MAX_BYTES } from '../../src/impact/snapshot.js';
import { exampleSeedPath } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'accessctl-snapshot-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function refusal(run: () => unknown): AccessctlError {
  try {
    run();
  } catch (error) {
    if (error instanceof AccessctlError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

const org = (body: string): string => `organizations:\n  - name: Org\n${body}`;

describe('reading a snapshot', () => {
  it('reads the seed: users by username, managers, every group with its members, and who cannot sign in', () => {
    const directory = readDirectorySnapshot(exampleSeedPath);
    expect(directory.users).toHaveLength(13);
    expect(directory.users.find((u) => u.username === 'erin.em')).toEqual({
      id: 'erin.em',
      email: 'erin@example.com',
      username: 'erin.em',
      managerId: 'dana.cto',
      active: true,
    });
    expect(directory.users.find((u) => u.username === 'dana.cto')?.managerId).toBeUndefined();
    expect(directory.users.find((u) => u.username === 'oscar')?.active).toBe(false);
    expect(directory.groups.find((g) => g.name === 'Security Leads')?.memberIds).toEqual(['grace.sec', 'heidi.sec']);
    expect(directory.groups.find((g) => g.name === 'GitHub Admins')?.memberIds).toEqual([]);
  });

  it('takes members and managers by email too', () => {
    const path = file(
      'emails.yaml',
      org(
        '    users:\n      - {username: a, email: a@x.io, firstname: A, lastname: A}\n      - {username: b, email: b@x.io, firstname: B, lastname: B, manager: a@x.io}\n    groups:\n      - {name: G, members: [b@x.io]}\n',
      ),
    );
    const directory = readDirectorySnapshot(path);
    expect(directory.users[1]?.managerId).toBe('a');
    expect(directory.groups[0]?.memberIds).toEqual(['b']);
  });

  it('refuses a member that is not a user, naming where', () => {
    const path = file(
      'member.yaml',
      org('    users:\n      - {username: a, email: a@x.io, firstname: A, lastname: A}\n    groups:\n      - {name: G, members: [a, ghost]}\n'),
    );
    const error = refusal(() => readDirectorySnapshot(path));
    expect(error.message).toBe(`${path}:6:32: no user "ghost" in the snapshot's users`);
    expect(error.subject).toBe('--directory');
  });

  it('refuses a file that is not in the seed format, by the schema, without quoting values', () => {
    const path = file('bad.yaml', org('    users:\n      - {username: a, email: a@x.io, firstname: A, lastname: A, apiKey: "short key"}\n'));
    const error = refusal(() => readDirectorySnapshot(path));
    expect(error.message).toMatch(/is not a directory snapshot in the seed format/);
    expect(error.message).toMatch(/organizations\.0\.users\.0\.apiKey must match pattern/);
    expect(error.message).not.toContain('short key');
  });

  it('names an unknown property and points at it, as for a config file handed in by mistake', () => {
    const path = file('settings.yaml', 'apiVersion: accessctl/v1\nkind: AccessRequestSettings\norganizations: []\n');
    const error = refusal(() => readDirectorySnapshot(path));
    expect(error.message).toContain(`${path}:1:1: the file has an unknown property "apiVersion"`);
    expect(error.message).toContain(`${path}:2:1: the file has an unknown property "kind"`);
    expect(error.message).not.toContain('must NOT have additional properties');
  });

  it('refuses YAML a config file may not hold, such as an alias', () => {
    const path = file('alias.yaml', 'organizations:\n  - &o {name: Org}\n  - *o\n');
    expect(refusal(() => readDirectorySnapshot(path)).message).toMatch(/alias/i);
  });

  it('asks which organization when there are several, and finds one by name or id', () => {
    const path = file(
      'two.yaml',
      'organizations:\n  - {name: One, users: [{username: a, email: a@x.io, firstname: A, lastname: A}]}\n  - {name: Two, id: 65a000000000000000000002}\n',
    );
    expect(refusal(() => readDirectorySnapshot(path)).message).toBe('the snapshot holds 2 organizations ("One", "Two"); choose one with --org');
    expect(readDirectorySnapshot(path, 'One').users).toHaveLength(1);
    expect(readDirectorySnapshot(path, '65a000000000000000000002').users).toHaveLength(0);
    expect(refusal(() => readDirectorySnapshot(path, 'Three')).message).toMatch(/no organization named or with the id "Three"/);
  });

  it('refuses a missing file, and anything but a regular file, before reading it', () => {
    expect(refusal(() => readDirectorySnapshot(join(dir, 'missing.yaml'))).code).toBe('not-found');
    expect(refusal(() => readDirectorySnapshot(dir)).message).toMatch(/is not a regular file/);
    expect(SNAPSHOT_MAX_BYTES).toBeGreaterThan(10_000 * 200);
  });
});
