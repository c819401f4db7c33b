// schemas/fleet-plan.schema.json against what `accessctl plan --fleet FILE --format json` really
// prints for a fleet against a sandbox: an org with changes, one already in sync, one whose plan apply
// would refuse, one with no key (unplannable) and one whose config is invalid; each plan is checked
// by its $ref to plan.schema.json. Copies broken on purpose are refused, down into an org's plan.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrgPlan, OrgPlanStatus } from '../../src/fleet/plan-fleet.js';
import type { PlanDocument } from '../../src/plan/render-json.js';
import { accessctl } from '../cli/in-process.js';
import { fleetOrgs, KEY_VARIABLE, MSP_KEY, multiOrgSeed, writeFleet } from '../fleet/fixtures.js';
import { startHarness, type Harness } from '../sandbox/harness.js';
import { copy, enumOf, exactly, expectAccepted, expectRefused, keysOf, nameRule, outputSchema, schemaJson, type RequiredKeys } from './output-schema.js';

const validate = outputSchema('fleet-plan.schema.json');
const orgs = fleetOrgs(5);
const name = (i: number): string => orgs[i]!.name;

interface FleetPlanJson {
  fleet: string;
  orgs: {
    org: string;
    orgId: string;
    status: OrgPlanStatus;
    made: OrgPlan['made'];
    error?: string;
    summary?: { org: string; status: string; create: number; update: number; delete: number; unmanaged: number };
    plan?: PlanDocument;
  }[];
}

let h: Harness;
let dir: string;
let file: string;

beforeAll(async () => {
  h = await startHarness({ seed: multiOrgSeed(orgs, 1) });
  dir = await mkdtemp(join(tmpdir(), 'accessctl-fleet-plan-schema-'));
  const repo = join(dir, 'repo');
  file = await writeFleet(repo, {
    name: 'plan-schema',
    target: h.sandbox.url,
    orgs,
    flowsPerOrg: 1,
    interval: '1h',
    overlays: { [name(1)]: [0], [name(3)]: [0] },
    keys: { [name(2)]: 'PLAN_SCHEMA_UNSET_KEY' },
  });
  // The second org's flow grants a group its org does not have and may not create: apply would refuse the plan.
  const flow = join(repo, 'overlays', name(1), 'flow-1.yaml');
  await writeFile(flow, (await readFile(flow, 'utf8')).replace('grantGroup: Grant 001', 'grantGroup: No Such Group'));
  // The fourth org's overlay is not valid config.
  await writeFile(
    join(repo, 'overlays', name(3), 'flow-1.yaml'),
    'apiVersion: accessctl/v1\nkind: ApprovalFlow\nmetadata:\n  name: Flow 001\nspec:\n  colour: blue\n',
  );
  // The fifth org has run once already: it is in sync.
  const run = await accessctl(['fleet', 'run', file, '--once', '--org', name(4), '--state-dir', join(dir, 'state'), '--listen', '127.0.0.1:0'], {
    [KEY_VARIABLE]: MSP_KEY,
    ACCESSCTL_LOG_LEVEL: 'silent',
  });
  expect(run.code).toBe(0);
});
afterAll(async () => {
  await h?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('schemas/fleet-plan.schema.json', () => {
  it('accepts a fleet of planned, refused, unplannable and invalid orgs, each plan by plan.schema.json', async () => {
    const run = await accessctl(['plan', '--fleet', file, '--format', 'json'], { [KEY_VARIABLE]: MSP_KEY });
    expect(run.code).toBe(1);
    const printed = JSON.parse(run.stdout) as FleetPlanJson;
    expect(printed.orgs.map((o) => [o.org, o.status, o.summary?.status ?? null])).toEqual([
      [name(0), 'planned', 'changes'],
      [name(1), 'planned', 'blocked'],
      [name(2), 'unplannable', null],
      [name(3), 'invalid', null],
      [name(4), 'planned', 'no changes'],
    ]);
    expect(printed.orgs[2]?.error).toContain('PLAN_SCHEMA_UNSET_KEY');
    expectAccepted(validate, printed);

    // Broken on purpose: a required field gone, a status no org has, a planned org without its plan,
    // an unplanned org with counts, and a plan that plan.schema.json refuses.
    const { made: _made, ...withoutMade } = copy(printed).orgs[0]!;
    expectRefused(validate, { ...printed, orgs: [withoutMade] }, 'required', '/orgs/0');
    const done = copy(printed);
    done.orgs[0]!.status = 'done' as OrgPlanStatus;
    expectRefused(validate, done, 'enum', '/orgs/0/status');
    const planless = copy(printed);
    delete planless.orgs[0]!.plan;
    expectRefused(validate, planless, 'required', '/orgs/0');
    const counted = copy(printed);
    counted.orgs[2]!.summary = copy(printed.orgs[0]!.summary!);
    expectRefused(validate, counted, 'false schema', '/orgs/2/summary');
    const clean = copy(printed);
    clean.orgs[4]!.summary!.status = 'clean';
    expectRefused(validate, clean, 'enum', '/orgs/4/summary/status');
    const version = copy(printed);
    // A version this accessctl does not write (whatever the current one is).
    (version.orgs[0]!.plan as unknown as { formatVersion: number }).formatVersion += 1000;
    expectRefused(validate, version, 'const', '/orgs/0/plan/formatVersion');
    const action = copy(printed);
    (action.orgs[0]!.plan!.changes[0] as unknown as { action: string }).action = 'rename';
    expectRefused(validate, action, 'enum', '/orgs/0/plan/changes/0/action');
  });

  it('accepts one org chosen with --org, alone', async () => {
    const run = await accessctl(['plan', '--fleet', file, '--org', name(0), '--format', 'json'], { [KEY_VARIABLE]: MSP_KEY });
    expect(run.code).toBe(0);
    const printed = JSON.parse(run.stdout) as FleetPlanJson;
    expect(printed.orgs.map((o) => o.org)).toEqual([name(0)]);
    expectAccepted(validate, printed);
    expectRefused(validate, { ...printed, fleet: 'Plan Schema' }, 'pattern', '/fleet');
  });

  it('lists the fields and values of the types', () => {
    const defs = schemaJson('fleet-plan.schema.json').$defs ?? {};
    const made = (defs['org']?.properties?.['made'] ?? {}) as Parameters<typeof keysOf>[0];
    expect(keysOf(made)).toEqual({
      properties: exactly<keyof OrgPlan['made']>()(['base', 'replaced', 'overlay', 'excluded']),
      required: exactly<RequiredKeys<OrgPlan['made']>>()(['base', 'replaced', 'overlay', 'excluded']),
    });
    expect(enumOf(defs['org']?.properties?.['status'])).toEqual(exactly<OrgPlanStatus>()(['planned', 'invalid', 'unplannable']));
    // Names are the fleet file's, repeated here so the schema stands alone: the same rule.
    expect(nameRule(defs['name'])).toEqual(nameRule(schemaJson('fleet.schema.json').$defs?.['fleetName']));
  });
});
