// A generated fleet for the tests and the benchmark: a multi-org sandbox seed (N orgs, each with the
// groups its flows need, and one MSP admin key that reaches every org through x-org-id) and, in a
// folder, a fleet file with a base of F automatic flows and optional overlays and exclusions.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SeedFile } from '../../src/sandbox/seed.js';

export const MSP_KEY = 'fleet-test-msp-key-not-a-secret';
export const KEY_VARIABLE = 'FLEET_TEST_MSP_KEY';

export interface FleetOrgFixture {
  name: string;
  orgId: string;
}

export function orgName(i: number): string {
  return `org-${String(i + 1).padStart(3, '0')}`;
}

/** A 24-hex org id per index, distinct from the example seeds'. */
export function orgId(i: number): string {
  return `65c0${String(i + 1).padStart(20, '0')}`;
}

export function flowName(i: number): string {
  return `Flow ${String(i + 1).padStart(3, '0')}`;
}

export function grantGroup(i: number): string {
  return `Grant ${String(i + 1).padStart(3, '0')}`;
}

export function fleetOrgs(count: number): FleetOrgFixture[] {
  return Array.from({ length: count }, (_, i) => ({ name: orgName(i), orgId: orgId(i) }));
}

/** N orgs with a Staff group, one grant group per flow, two users, and one MSP key for all of them. */
export function multiOrgSeed(orgs: readonly FleetOrgFixture[], flowsPerOrg: number): SeedFile {
  return {
    organizations: orgs.map((org) => ({
      id: org.orgId,
      name: org.name,
      users: [
        { username: `ann.${org.name}`, email: `ann@${org.name}.example`, firstname: 'Ann', lastname: 'Lee' },
        { username: `bo.${org.name}`, email: `bo@${org.name}.example`, firstname: 'Bo', lastname: 'Ng', manager: `ann.${org.name}` },
      ],
      groups: [{ name: 'Staff', members: [`ann.${org.name}`, `bo.${org.name}`] }, ...Array.from({ length: flowsPerOrg }, (_, i) => ({ name: grantGroup(i) }))],
    })),
    adminKeys: [{ name: 'MSP', email: 'msp@msp.example', key: MSP_KEY, organizations: orgs.map((o) => o.name) }],
  };
}

function flowYaml(i: number, description = `Access ${i + 1} for staff, granted at once`): string {
  return `apiVersion: accessctl/v1
kind: ApprovalFlow
metadata:
  name: ${flowName(i)}
spec:
  description: ${description}
  category: application
  grantGroup: ${grantGroup(i)}
  visibleTo: [Staff]
  approval:
    type: automatic
  access:
    duration: P30D
`;
}

export interface FleetFixtureOptions {
  name: string;
  target: string;
  orgs: readonly FleetOrgFixture[];
  flowsPerOrg: number;
  interval: string;
  /** Per org name: flow indexes its overlay redefines (with another description). */
  overlays?: Record<string, number[]>;
  /** Per org name: flow indexes it excludes. */
  exclude?: Record<string, number[]>;
  /** Per org name: another environment variable for its key. */
  keys?: Record<string, string>;
}

/** Writes fleet.yaml, base/ and overlays/ under `dir`; returns the fleet file's path. */
export async function writeFleet(dir: string, options: FleetFixtureOptions): Promise<string> {
  await mkdir(join(dir, 'base', 'flows'), { recursive: true });
  await writeFile(
    join(dir, 'base', 'accessctl.yaml'),
    'apiVersion: accessctl/v1\nkind: Project\nmetadata:\n  name: fleet-base\nspec:\n  prune:\n    ApprovalFlow: true\n  guards:\n    maxDeletions: 100\n    maxDeletionPercent: 100\n',
  );
  for (let i = 0; i < options.flowsPerOrg; i++) await writeFile(join(dir, 'base', 'flows', `flow-${i + 1}.yaml`), flowYaml(i));
  const orgLines: string[] = [];
  for (const org of options.orgs) {
    orgLines.push(`    - name: ${org.name}`, `      orgId: ${org.orgId}`);
    const redefined = options.overlays?.[org.name];
    if (redefined !== undefined) {
      const overlay = join(dir, 'overlays', org.name);
      await mkdir(overlay, { recursive: true });
      for (const i of redefined) await writeFile(join(overlay, `flow-${i + 1}.yaml`), flowYaml(i, `Access ${i + 1}, as ${org.name} wants it`));
      orgLines.push(`      overlay: overlays/${org.name}`);
    }
    const key = options.keys?.[org.name];
    if (key !== undefined) orgLines.push(`      apiKey: { env: ${key} }`);
    const excluded = options.exclude?.[org.name];
    if (excluded !== undefined) {
      orgLines.push('      exclude:', ...excluded.map((i) => `        - { kind: ApprovalFlow, name: ${flowName(i)} }`));
    }
  }
  const file = join(dir, 'fleet.yaml');
  await writeFile(
    file,
    `apiVersion: accessctl/v1
kind: Fleet
metadata:
  name: ${options.name}
spec:
  base: base
  defaults:
    target: ${options.target}
    apiKey: { env: ${KEY_VARIABLE} }
    interval: ${options.interval}
  orgs:
${orgLines.join('\n')}
`,
  );
  return file;
}
