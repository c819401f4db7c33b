// schemas/explain.schema.json against what `accessctl explain --format json` really prints: a user
// with manual levels (a manager, a group) and a flow they cannot request, read from a sandbox over
// HTTP; an automatic flow, Missing Data and a suspended user from a snapshot. Copies broken on
// purpose are refused; the schema's fields and values are the types' (src/impact/explain.ts).
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowExplanation, LevelExplanation } from '../../src/impact/explain.js';
import type { PeopleList } from '../../src/impact/people.js';
import { accessctl } from '../cli/in-process.js';
import { exampleSeedPath, startHarness, type Harness } from '../sandbox/harness.js';
import { copy, enumOf, exactly, expectAccepted, expectRefused, keysOf, outputSchema, schemaJson, type AllKeys, type RequiredKeys } from './output-schema.js';

const examples = fileURLToPath(new URL('../../examples/access/', import.meta.url));
const validate = outputSchema('explain.schema.json');

interface Explanation {
  user: string;
  username: string;
  active: boolean;
  directory: string;
  flows: FlowExplanation[];
  warnings: { what: string; name: string; source: { file: string; line: number; column: number } }[];
}

let h: Harness;
let dir: string;

beforeAll(async () => {
  h = await startHarness();
  dir = await mkdtemp(join(tmpdir(), 'accessctl-explain-schema-'));
});
afterAll(async () => {
  await h.close();
  await rm(dir, { recursive: true, force: true });
});

async function explainJson(args: string[], env: Record<string, string> = {}): Promise<Explanation> {
  const run = await accessctl(['explain', ...args, '--format', 'json'], env);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as Explanation;
}

/** The manual flow of `explanation` named `name`. */
function manual(explanation: Explanation, name: string): { type: 'manual'; levels: LevelExplanation[]; adminOnly?: string } {
  const approval = explanation.flows.find((f) => f.flow === name)?.approval;
  if (approval?.type !== 'manual') throw new Error(`${name} has no manual approval`);
  return approval;
}

describe('schemas/explain.schema.json', () => {
  it("accepts a user's manual levels and a flow they cannot request, read from the sandbox over HTTP", async () => {
    const erin = await explainJson([examples, '--user', 'erin.em', '--target', h.sandbox.url], { JUMPCLOUD_API_KEY: h.sandbox.adminKey });
    expect(erin.directory).toBe(h.sandbox.url);
    expect(erin.flows.map((f) => [f.flow, f.canRequest])).toEqual([
      ['GitHub Admin', true],
      ['GitHub User', false],
    ]);
    expect(manual(erin, 'GitHub Admin').levels[0]?.manager).toBe('dana@example.com');
    expectAccepted(validate, erin);

    // Broken on purpose: a required field gone, a value no level has, an answer without its approval.
    const { flows: _flows, ...withoutFlows } = copy(erin);
    expectRefused(validate, withoutFlows, 'required', '');
    const some = copy(erin);
    manual(some, 'GitHub Admin').levels[0]!.require = 'some' as LevelExplanation['require'];
    expectRefused(validate, some, 'enum', '/flows/0/approval/levels/0/require');
    const unanswered = copy(erin);
    delete unanswered.flows[0]!.approval;
    expectRefused(validate, unanswered, 'required', '/flows/0');
    const reasonless = copy(erin);
    delete reasonless.flows[1]!.reason;
    expectRefused(validate, reasonless, 'required', '/flows/1');
    const crowded = copy(erin);
    manual(crowded, 'GitHub Admin').levels[0]!.people.emails = Array.from({ length: 11 }, (_, i) => `p${i}@example.com`);
    expectRefused(validate, crowded, 'maxItems', '/flows/0/approval/levels/0/people/emails');
  });

  it('accepts automatic approval, Missing Data (admin only) and a suspended user, from a snapshot file', async () => {
    const repo = join(dir, 'all-hands');
    await cp(examples, repo, { recursive: true });
    await writeFile(
      join(repo, 'flows', 'all-hands.yaml'),
      'apiVersion: accessctl/v1\nkind: ApprovalFlow\nmetadata:\n  name: All Hands\nspec:\n  grantGroup: GitHub Users\n  visibleTo: [Engineering All]\n  approval:\n    type: manual\n    nonAdminApprovers: true\n    levels:\n      - approvers: [{manager: true}]\n',
    );
    // Permanent access (no access:), which the example's policy would refuse.
    const project = join(repo, 'accessctl.yaml');
    await writeFile(project, (await readFile(project, 'utf8')).replace(/^ {4}maxAccessDuration: P30D\n/m, ''));
    const alice = await explainJson([repo, '--directory', exampleSeedPath, '--user', 'alice@example.com', '--flow', 'GitHub User']);
    expect(alice.flows[0]?.approval).toEqual({ type: 'automatic' });
    expectAccepted(validate, alice);
    const semi = copy(alice);
    semi.flows[0]!.approval = { type: 'semi' } as unknown as NonNullable<FlowExplanation['approval']>;
    expectRefused(validate, semi, 'oneOf', '/flows/0/approval');

    const dana = await explainJson([repo, '--directory', exampleSeedPath, '--user', 'dana.cto', '--flow', 'All Hands']);
    expect(manual(dana, 'All Hands').adminOnly).toMatch(/Missing Data/);
    // Permanent access: no durations.
    expect(dana.flows[0]).toMatchObject({ maxDuration: null, durations: null });
    expectAccepted(validate, dana);

    const oscar = await explainJson([repo, '--directory', exampleSeedPath, '--user', 'oscar', '--flow', 'All Hands']);
    expect(oscar.active).toBe(false);
    expect(oscar.flows[0]).toMatchObject({ canRequest: false, via: [] });
    expectAccepted(validate, oscar);
    const via = copy(oscar);
    via.flows[0]!.via = ['Engineering All'];
    expectRefused(validate, via, 'maxItems', '/flows/0/via');
  });

  it('lists the names the directory lacks in warnings, where the text output says them on stderr', async () => {
    const repo = join(dir, 'unknown-group');
    await cp(examples, repo, { recursive: true });
    const flow = join(repo, 'flows', 'github-user.yaml');
    await writeFile(flow, (await readFile(flow, 'utf8')).replace('visibleTo: [Engineering User]', 'visibleTo: [Engineering User, Contractors]'));
    const alice = await explainJson([repo, '--directory', exampleSeedPath, '--user', 'alice@example.com', '--flow', 'GitHub User']);
    expect(alice.warnings).toEqual([
      { what: 'group', name: 'Contractors', source: expect.objectContaining({ file: expect.stringContaining('github-user.yaml') }) },
    ]);
    expectAccepted(validate, alice);
    expectRefused(validate, { ...copy(alice), warnings: [{ what: 'team', name: 'x', source: alice.warnings[0]!.source }] }, 'enum', '/warnings/0/what');
  });

  it('lists the fields, required fields and values of the types', () => {
    const defs = schemaJson('explain.schema.json').$defs ?? {};
    type Manual = Extract<NonNullable<FlowExplanation['approval']>, { type: 'manual' }>;
    expect(keysOf(defs['flow'])).toEqual({
      properties: exactly<keyof FlowExplanation>()(['flow', 'grantGroup', 'maxDuration', 'durations', 'canRequest', 'via', 'reason', 'approval']),
      required: exactly<RequiredKeys<FlowExplanation>>()(['flow', 'grantGroup', 'maxDuration', 'durations', 'canRequest', 'via']),
    });
    expect([...keysOf(defs['automatic']).properties, ...keysOf(defs['manual']).properties].sort()).toEqual(
      exactly<AllKeys<NonNullable<FlowExplanation['approval']>>>()(['type', 'type', 'levels', 'adminOnly']),
    );
    expect(keysOf(defs['manual']).required).toEqual(exactly<RequiredKeys<Manual>>()(['type', 'levels']));
    expect(keysOf(defs['level'])).toEqual({
      properties: exactly<keyof LevelExplanation>()(['level', 'require', 'describes', 'people', 'admins', 'manager']),
      required: exactly<RequiredKeys<LevelExplanation>>()(['level', 'require', 'describes', 'people', 'admins']),
    });
    expect(keysOf(defs['people'])).toEqual({
      properties: exactly<keyof PeopleList>()(['count', 'emails']),
      required: exactly<RequiredKeys<PeopleList>>()(['count', 'emails']),
    });
    expect(enumOf(defs['level']?.properties?.['require'])).toEqual(exactly<LevelExplanation['require']>()(['any', 'all']));
  });
});
