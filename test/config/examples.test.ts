// The worked example in examples/access/ is the seed's config repo: it must validate clean, hold
// exactly the objects issue 2 describes, and point every file at its kind's schema.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type LoadResult } from '../../src/config/load.js';
import { schemaFileByKind, type Kind } from '../../src/config/schema.js';
import { loadSeed } from '../../src/sandbox/seed.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
let result: LoadResult;

beforeAll(async () => {
  result = await loadConfig('examples/access', repo);
});

const names = <T extends { name: string }>(declared: readonly T[]) => declared.map((d) => d.name).sort();

describe('examples/access', () => {
  it('validates with zero errors and zero warnings', () => {
    expect(result.diagnostics).toEqual([]);
    expect(result.files).toBe(11);
    expect(result.objects).toBe(11);
  });

  it('declares the Engineering user groups and the GitHub grant groups', () => {
    expect(names(result.desired.groups)).toEqual([
      'Engineering Admin',
      'Engineering All',
      'Engineering User',
      'GitHub Admins',
      'GitHub Users',
      'Security Leads',
    ]);
  });

  it('associates both GitHub grant groups with the GitHub application', () => {
    const applications = Object.fromEntries(result.desired.groups.map((g) => [g.name, g.object.spec.applications]));
    expect(applications['GitHub Users']).toEqual(['GitHub']);
    expect(applications['GitHub Admins']).toEqual(['GitHub']);
    for (const name of ['Engineering User', 'Engineering Admin', 'Engineering All']) expect(applications[name]).toBeUndefined();
  });

  it('has exactly the GitHub User and GitHub Admin flows', () => {
    expect(names(result.desired.flows)).toEqual(['GitHub Admin', 'GitHub User']);
  });

  it('makes GitHub User automatic, visible to Engineering User, granting GitHub Users', () => {
    const flow = result.desired.flows.find((f) => f.name === 'GitHub User')!.object.spec;
    expect(flow.approval.type).toBe('automatic');
    expect(flow.approval.levels).toBeUndefined();
    expect(flow.visibleTo).toEqual(['Engineering User']);
    expect(flow.grantGroup).toBe('GitHub Users');
  });

  it("makes GitHub Admin manual: the requester's manager, then any Security Leads member, for PT8H, P1D or P7D", () => {
    const flow = result.desired.flows.find((f) => f.name === 'GitHub Admin')!.object.spec;
    expect(flow.approval.type).toBe('manual');
    expect(flow.visibleTo).toEqual(['Engineering Admin']);
    expect(flow.grantGroup).toBe('GitHub Admins');
    expect(flow.approval.levels?.map((level) => ({ require: level.require ?? 'any', approvers: level.approvers }))).toEqual([
      { require: 'any', approvers: [{ manager: true }] },
      { require: 'any', approvers: [{ group: 'Security Leads' }] },
    ]);
    expect(flow.access).toEqual({ durations: ['PT8H', 'P1D', 'P7D'] });
  });

  it('has settings subscribing the console-made SIEM channel by id, no channel of its own, and a Project', () => {
    expect(result.desired.settings?.name).toBe('settings');
    // By id, so the example works on JumpCloud itself, which publishes no channel API.
    expect(result.desired.settings!.object.spec.webhooks).toEqual([
      { channel: { id: '65a0000000000000000000c1' }, events: ['access_management_access_request', 'access_management_access_request_approval'] },
    ]);
    expect(result.desired.channels).toEqual([]);
    expect(result.desired.project).toBeDefined();
    expect(result.desired.project!.source.file.path).toBe('examples/access/accessctl.yaml');
  });

  it('subscribes only channels that the example directory seeds, as if made in the console', () => {
    const seeded = loadSeed(fileURLToPath(new URL('../../examples/directory.yaml', import.meta.url))).organizations.flatMap((org) => org.channels ?? []);
    for (const { channel } of result.desired.settings!.object.spec.webhooks ?? []) {
      const id = typeof channel === 'string' ? undefined : channel.id;
      expect(id, 'the example names channels by id').toBeDefined();
      expect(seeded.map((c) => c.id)).toContain(id);
    }
  });

  it("points each file's yaml-language-server modeline at the existing schema of its kind", () => {
    const sources = [...result.sources.values()];
    expect(sources).toHaveLength(11);
    for (const source of sources) {
      const absolute = join(repo, source.path);
      const firstLine = readFileSync(absolute, 'utf8').split('\n')[0]!;
      const match = /^# yaml-language-server: \$schema=(\S+)$/.exec(firstLine);
      expect(match, source.path).not.toBeNull();
      const schemaPath = resolve(dirname(absolute), match![1]!);
      expect(existsSync(schemaPath), `${source.path} -> ${match![1]}`).toBe(true);
      const kind = /^kind: (\w+)$/m.exec(readFileSync(absolute, 'utf8'))![1] as Kind;
      expect(schemaPath, source.path).toBe(join(repo, 'schemas', schemaFileByKind[kind]));
      expect((JSON.parse(readFileSync(schemaPath, 'utf8')) as { title: string }).title).toBe(kind);
    }
  });
});
