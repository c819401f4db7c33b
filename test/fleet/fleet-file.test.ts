// The Fleet kind: the fleet file's own checks, each org's config made from the base, its overlay and
// its exclusions, and `validate --fleet`, whose every finding names the file that contributed the
// object and the orgs it holds for. No platform and no database.
import { readFileSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { readFleet, selectOrgs } from '../../src/fleet/fleet-file.js';
import { FolderCache, resolveOrg } from '../../src/fleet/resolve.js';
import { renderFleetOrgLines, validateFleet } from '../../src/fleet/validate-fleet.js';
import { root } from '../e2e/binary.js';

let dir: string;
const example = join(root, 'examples', 'fleet');

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'accessctl-fleet-file-'));
  await cp(example, dir, { recursive: true });
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function resolved(name: string) {
  const read = await readFleet('fleet.yaml', dir);
  expect(read.diagnostics).toEqual([]);
  const fleet = read.fleet!;
  const org = fleet.orgs.find((o) => o.name === name)!;
  const findings: never[] = [];
  return { ...(await resolveOrg(fleet, org, new FolderCache(dir), findings)), fleet, findings };
}

describe('examples/fleet', () => {
  it('validates clean: the fleet file and each of its three orgs', async () => {
    const result = await validateFleet('examples/fleet/fleet.yaml', root);
    expect(result.diagnostics).toEqual([]);
    expect(result.files).toBe(15);
  });

  it('gives each org the base, its overlay replacing objects of the same kind and name, less its exclusions', async () => {
    const acme = await resolved('acme');
    expect(acme.config.desired.flows.map((f) => [f.name, f.source.file.path])).toEqual([
      ['Helpdesk Admin', 'base/flows/helpdesk-admin.yaml'],
      ['VPN User', 'base/flows/vpn-user.yaml'],
    ]);
    const globex = await resolved('globex');
    expect(globex.config.desired.flows.map((f) => [f.name, f.source.file.path])).toEqual([
      ['VPN User', 'base/flows/vpn-user.yaml'],
      ['Helpdesk Admin', 'overlays/globex/flows/helpdesk-admin.yaml'],
      ['Payroll Admin', 'overlays/globex/flows/payroll-admin.yaml'],
    ]);
    expect(globex.made).toEqual({ base: 8, replaced: 1, overlay: 4, excluded: 0 });
    const initech = await resolved('initech');
    expect(initech.config.desired.flows.map((f) => f.name)).toEqual(['Helpdesk Admin']);
    // The settings are one per org: the overlay's replaces the base's whatever its name.
    expect(initech.config.desired.settings!.source.file.path).toBe('overlays/initech/settings.yaml');
    expect(initech.made.excluded).toBe(1);
  });
});

describe('the fleet file', () => {
  it('refuses duplicate org names and ids, missing folders and short intervals, each at its line', async () => {
    await writeFile(
      join(dir, 'fleet.yaml'),
      `apiVersion: accessctl/v1
kind: Fleet
metadata:
  name: bad
spec:
  base: base
  orgs:
    - name: one
      orgId: 65b000000000000000000001
    - name: one
      orgId: 65b000000000000000000001
      overlay: overlays/nowhere
      interval: 500ms
`,
    );
    const read = await readFleet('fleet.yaml', dir);
    expect(read.diagnostics.map((d) => [d.code, d.line, d.path])).toEqual([
      ['duplicate-name', 10, 'spec.orgs[1].name'],
      ['duplicate-org-id', 11, 'spec.orgs[1].orgId'],
      ['folder-not-found', 12, 'spec.orgs[1].overlay'],
      ['out-of-range', 13, 'spec.orgs[1].interval'],
    ]);
  });

  it('keeps its folders inside its own folder and its names fit for labels', async () => {
    await writeFile(
      join(dir, 'fleet.yaml'),
      'apiVersion: accessctl/v1\nkind: Fleet\nmetadata:\n  name: Bad_Name\nspec:\n  base: ../elsewhere\n  orgs:\n    - { name: one, orgId: 65b000000000000000000001 }\n',
    );
    const read = await readFleet('fleet.yaml', dir);
    expect(read.fleet).toBeUndefined();
    expect(read.diagnostics.map((d) => [d.code, d.path])).toEqual([
      ['invalid-format', 'metadata.name'],
      ['invalid-format', 'spec.base'],
    ]);
    expect(read.diagnostics[1]!.message).toContain('no absolute path, no ..');
  });

  it('selects orgs by --org and names the known ones for an unknown one', async () => {
    const fleet = (await readFleet('fleet.yaml', dir)).fleet!;
    expect(selectOrgs(fleet, ['initech', 'acme']).map((o) => o.name)).toEqual(['initech', 'acme']);
    expect(() => selectOrgs(fleet, ['umbrella'])).toThrow('--org umbrella is not an org of fleet msp-customers; it has acme, globex, initech');
  });

  it('is refused inside an org config, where its folders would collide', async () => {
    const result = await loadConfig('.', dir);
    expect(result.diagnostics.filter((d) => d.code === 'fleet-in-config').map((d) => d.file)).toEqual(['fleet.yaml']);
  });
});

describe('validate --fleet', () => {
  it('names the overlay file that holds an error, for the org that gets it', async () => {
    await writeFile(
      join(dir, 'overlays', 'globex', 'flows', 'payroll-admin.yaml'),
      readFileSync(join(example, 'overlays', 'globex', 'flows', 'payroll-admin.yaml'), 'utf8').replace('type: manual', 'type: sometimes'),
    );
    const result = await validateFleet('fleet.yaml', dir);
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => [d.file, d.code])).toEqual([['overlays/globex/flows/payroll-admin.yaml', 'invalid-value']]);
    expect(errors[0]!.message).toMatch(/^\[org globex\] spec\.approval\.type must be one of/);
    // Each org's own counts: only globex has the error.
    expect(result.orgs.map((o) => (o.made ? [o.org, o.errors] : [o.org, o.why]))).toEqual([
      ['acme', 0],
      ['globex', 1],
      ['initech', 0],
    ]);
    expect(renderFleetOrgLines(result.orgs)).toMatch(/^org globex: \d+ files, \d+ objects: 1 error, 0 warnings$/m);
  });

  it('says which org could not be checked, and why, beside the others', async () => {
    const fleet = readFileSync(join(example, 'fleet.yaml'), 'utf8').replace('overlay: overlays/globex', 'overlay: overlays/nope');
    await writeFile(join(dir, 'fleet.yaml'), fleet);
    const result = await validateFleet('fleet.yaml', dir);
    expect(result.orgs.find((o) => o.org === 'globex')).toEqual({ org: 'globex', made: false, why: 'its overlay overlays/nope is not a folder' });
    expect(renderFleetOrgLines(result.orgs)).toContain('org globex: not checked: its overlay overlays/nope is not a folder\n');
    expect(result.orgs.filter((o) => o.made).map((o) => o.org)).toEqual(['acme', 'initech']);
  });

  it('reports a missing overlay at its line in the fleet file and every other finding with it, in one path notation', async () => {
    const fleet = readFileSync(join(example, 'fleet.yaml'), 'utf8')
      .replace('overlay: overlays/globex\n      interval: 2m', 'overlay: overlays/nope\n      interval: 0s')
      .replace('name: VPN User }', 'name: VPN Usr }')
      .replace('- name: initech\n      orgId: 65b000000000000000000003', '- name: acme\n      orgId: 65b000000000000000000001');
    await writeFile(join(dir, 'fleet.yaml'), fleet);
    const result = await validateFleet('fleet.yaml', dir);
    const lines = fleet.split('\n');
    const lineOf = (text: string): number => lines.findLastIndex((l) => l.includes(text)) + 1;
    expect(result.diagnostics.map((d) => [d.severity, d.file, d.line, d.code, d.path])).toEqual([
      ['error', 'fleet.yaml', lineOf('overlay: overlays/nope'), 'folder-not-found', 'spec.orgs[1].overlay'],
      ['error', 'fleet.yaml', lineOf('interval: 0s'), 'invalid-format', 'spec.orgs[1].interval'],
      ['error', 'fleet.yaml', lineOf('- name: acme'), 'duplicate-name', 'spec.orgs[2].name'],
      ['error', 'fleet.yaml', lineOf('orgId: 65b000000000000000000001'), 'duplicate-org-id', 'spec.orgs[2].orgId'],
      ['warning', 'fleet.yaml', lineOf('name: VPN Usr }'), 'exclude-unmatched', 'spec.orgs[2].exclude[0]'],
    ]);
    // One notation in the messages too: spec.orgs[1].interval, never spec.orgs.1.interval.
    const interval = result.diagnostics.find((d) => d.path === 'spec.orgs[1].interval')!;
    expect(interval.message).toContain('spec.orgs[1].interval');
    expect(result.diagnostics.map((d) => d.message).join('\n')).not.toMatch(/spec\.orgs\.\d/);
    expect(result.diagnostics.find((d) => d.code === 'folder-not-found')!.message).toContain("org globex's overlay overlays/nope is not a folder");
  });

  it("reports the fleet file's other findings beside a schema error", async () => {
    const fleet = readFileSync(join(example, 'fleet.yaml'), 'utf8')
      .replace('overlay: overlays/globex', 'overlay: ../../etc')
      .replace('- name: initech\n      orgId: 65b000000000000000000003', '- name: acme\n      orgId: 65b000000000000000000003');
    await writeFile(join(dir, 'fleet.yaml'), fleet);
    const result = await validateFleet('fleet.yaml', dir);
    expect(result.diagnostics.map((d) => [d.code, d.path])).toEqual([
      [expect.any(String), 'spec.orgs[1].overlay'],
      ['duplicate-name', 'spec.orgs[2].name'],
    ]);
  });

  it('reports a base error once for every org, and an exclusion that matches nothing as a warning on the fleet file', async () => {
    const base = join(dir, 'base', 'flows', 'vpn-user.yaml');
    await writeFile(
      base,
      readFileSync(join(example, 'base', 'flows', 'vpn-user.yaml'), 'utf8').replace('grantGroup: VPN Users', 'grantGroup: VPN Users\n  colour: red'),
    );
    await writeFile(join(dir, 'fleet.yaml'), readFileSync(join(example, 'fleet.yaml'), 'utf8').replace('name: VPN User }', 'name: VPN Usr }'));
    const result = await validateFleet('fleet.yaml', dir);
    expect(result.diagnostics.map((d) => [d.severity, d.file, d.code, d.message.slice(0, 40)])).toEqual([
      ['warning', 'fleet.yaml', 'exclude-unmatched', 'org initech excludes ApprovalFlow "VPN U'],
      ['error', 'base/flows/vpn-user.yaml', 'unknown-field', '[every org] unknown field "colour"; expe'],
    ]);
  });
});
