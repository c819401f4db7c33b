// A schema error in an object does not hide that object's other findings (issue 13, point 13): every
// schema error is reported, and the rules across documents (names, references, approvers, policy,
// webhooks) still run on the parts that are valid, with no finding that rests on a part cut out.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { configWorkspace, lines, located } from './config-workspace.js';

const { validate } = configWorkspace('salvage');

const project = lines(
  'apiVersion: accessctl/v1',
  'kind: Project',
  'metadata: {name: p}',
  'spec:',
  '  policy:',
  '    manualApprovalFor: ["*Admin*"]',
  '    maxAccessDuration: P30D',
);

const groups = lines(
  'apiVersion: accessctl/v1',
  'kind: GroupAssignment',
  'metadata: {name: G Admins}',
  'spec: {}',
  '---',
  'apiVersion: accessctl/v1',
  'kind: GroupAssignment',
  'metadata: {name: V}',
  'spec: {}',
);

/** A flow named `name`; `spec` starts at line 6. */
const flow = (name: string, ...spec: string[]) => lines('apiVersion: accessctl/v1', 'kind: ApprovalFlow', 'metadata:', `  name: ${name}`, 'spec:', ...spec);

describe('an object with a schema error', () => {
  it('still gets its reference, approver and policy findings, next to every schema error', async () => {
    const diagnostics = await validate({
      'project.yaml': project,
      'groups.yaml': groups,
      'f.yaml': flow(
        'F',
        '  grantGroup: G Admins', // 6
        '  visibleTo: [V, Ghosts]', // 7: Ghosts is not declared
        '  colour: blue', // 8: unknown field
        '  approval:', // 9
        '    type: automatic', // 10: the policy wants manual approval for *Admin*
        '    nonAdminApprovers: true',
        '  access: {duration: P90D}', // 12: longer than P30D
        '  display: {color: red}', // 13: not #RRGGBB
      ),
    });
    expect(located(diagnostics)).toEqual([
      'f.yaml:7:18 warning undeclared-group',
      'f.yaml:8:3 error unknown-field',
      'f.yaml:10:11 error policy-manual-approval',
      'f.yaml:12:22 error policy-max-duration',
      'f.yaml:13:20 error invalid-format',
    ]);
  });

  it('still gets the findings of the levels that validate, and none about the part that does not', async () => {
    const diagnostics = await validate({
      'groups.yaml': groups,
      'f.yaml': flow(
        'F',
        '  grantGroup: G Admins', // 6
        '  visibleTo: [V]', // 7
        '  category: apps', // 8: not an enum value
        '  approval:', // 9
        '    type: manual', // 10
        '    nonAdminApprovers: true', // 11
        '    levels:', // 12
        '      - approvers: [{manager: true}, {manager: true}]', // 13: listed twice
      ),
    });
    expect(located(diagnostics)).toEqual(['f.yaml:8:13 error invalid-value', 'f.yaml:13:38 error duplicate-approver']);
  });

  it('makes no finding that rests on a part cut out: a wrong value is not read as its default', async () => {
    const diagnostics = await validate({
      'project.yaml': project,
      'groups.yaml': groups,
      'f.yaml': flow(
        'F',
        '  grantGroup: G Admins', // 6
        '  visibleTo: [V]', // 7
        '  approval:', // 8
        '    type: manual', // 9
        '    nonAdminApprovers: "yes"', // 10: not a boolean; not read as false
        '    levels:', // 11
        '      - approvers: [{group: V}]', // 12
        '      - approvers: [{grup: V}]', // 13: unknown field; the levels are cut, not read as none
        '  access: {duration: 90 days}', // 14: not a duration; not read as permanent access
      ),
    });
    expect(located(diagnostics)).toEqual(['f.yaml:10:24 error wrong-type', 'f.yaml:13:22 error unknown-field', 'f.yaml:14:22 error invalid-format']);
  });

  it('is named twice when a valid object has its name, and its channel rules still run', async () => {
    const diagnostics = await validate({
      'a.yaml': lines('apiVersion: accessctl/v1', 'kind: GroupAssignment', 'metadata: {name: Same}', 'spec: {}'),
      'b.yaml': lines('apiVersion: accessctl/v1', 'kind: GroupAssignment', 'metadata: {name: same}', 'spec: {create: maybe}'),
      'c.yaml': lines(
        'apiVersion: accessctl/v1',
        'kind: WebhookChannel',
        'metadata: {name: Hook}',
        'spec:',
        '  url: http://siem.example.com/{{TOKEN}}', // 5: not https, TOKEN not declared
        '  verifySsl: maybe', // 6: not a boolean
      ),
    });
    expect(located(diagnostics)).toEqual([
      'b.yaml:3:18 error duplicate-name',
      'b.yaml:4:16 error wrong-type',
      'c.yaml:5:8 error insecure-url',
      'c.yaml:5:8 error undeclared-placeholder',
      'c.yaml:6:14 error wrong-type',
    ]);
  });
});

describe('the desired state', () => {
  const dir = mkdtempSync(join(tmpdir(), 'accessctl-salvage-desired-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('never holds the valid parts of an object that breaks its schema', async () => {
    writeFileSync(join(dir, 'groups.yaml'), groups);
    writeFileSync(join(dir, 'f.yaml'), flow('F', '  grantGroup: G Admins', '  visibleTo: [V]', '  colour: blue', '  approval: {type: manual, levels: []}'));
    const result = await loadConfig('.', dir);
    expect(result.desired.flows).toEqual([]);
    expect(result.desired.groups.map((g) => g.name)).toEqual(['G Admins', 'V']);
    expect(located(result.diagnostics)).toEqual(expect.arrayContaining(['f.yaml:8:3 error unknown-field', 'f.yaml:9:20 error manual-without-levels']));
  });
});
