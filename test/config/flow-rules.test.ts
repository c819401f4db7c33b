// Specifies the approval-flow rules JSON Schema cannot express: levels that fit the approval type,
// approvers that fit nonAdminApprovers, durations that exclude each other, and group references.
import { describe, expect, it } from 'vitest';
import { configWorkspace, lines, located } from './config-workspace.js';

const { validate } = configWorkspace('flow-rules');

/** Declares the groups G and V, which the flows below grant and are visible to. */
const groups = lines(
  'apiVersion: accessctl/v1',
  'kind: GroupAssignment',
  'metadata: {name: G}',
  'spec: {}',
  '---',
  'apiVersion: accessctl/v1',
  'kind: GroupAssignment',
  'metadata: {name: V}',
  'spec: {}',
);

/** A flow granting G to V; `spec` continues at line 8. */
const flow = (...spec: string[]) =>
  lines('apiVersion: accessctl/v1', 'kind: ApprovalFlow', 'metadata:', '  name: F', 'spec:', '  grantGroup: G', '  visibleTo: [V]', ...spec);

describe('approval levels', () => {
  it('refuses manual approval with no levels, at the type', async () => {
    const diagnostics = await validate({ 'f.yaml': flow('  approval:', '    type: manual'), 'groups.yaml': groups });
    expect(located(diagnostics)).toEqual(['f.yaml:9:11 error manual-without-levels']);
    expect(diagnostics[0]!.message).toBe('manual approval needs at least one level under approval.levels, each with its approvers');
  });

  it('refuses manual approval with an empty list of levels', async () => {
    const diagnostics = await validate({ 'f.yaml': flow('  approval:', '    type: manual', '    levels: []'), 'groups.yaml': groups });
    expect(located(diagnostics)).toEqual(['f.yaml:9:11 error manual-without-levels']);
  });

  it('refuses a level with no approvers, at its approvers list', async () => {
    const diagnostics = await validate({
      'f.yaml': flow('  approval:', '    type: manual', '    levels:', '      - approvers: [admins: true]', '      - require: all', '        approvers: []'),
      'groups.yaml': groups,
    });
    expect(located(diagnostics)).toEqual(['f.yaml:13:20 error empty-level']);
    expect(diagnostics[0]!.message).toBe('approval level 2 has no approvers');
    expect(diagnostics[0]!.path).toBe('spec.approval.levels[1].approvers');
  });

  it('refuses automatic approval with levels, at the levels key', async () => {
    const diagnostics = await validate({
      'f.yaml': flow('  approval:', '    type: automatic', '    levels:', '      - approvers: [admins: true]'),
      'groups.yaml': groups,
    });
    expect(located(diagnostics)).toEqual(['f.yaml:10:5 error automatic-with-levels']);
    expect(diagnostics[0]!.message).toContain('remove approval.levels or use type: manual');
  });

  it('accepts manual approval by administrators at every level', async () => {
    const diagnostics = await validate({
      'f.yaml': flow(
        '  approval:',
        '    type: manual',
        '    levels:',
        '      - approvers: [admins: true]',
        '      - require: all',
        '        approvers: [{admins: true}]',
      ),
      'groups.yaml': groups,
    });
    expect(diagnostics).toEqual([]);
  });
});

describe('approvers', () => {
  it('refuses a manager or user approver unless nonAdminApprovers is true, at each approver', async () => {
    const diagnostics = await validate({
      'f.yaml': flow(
        '  approval:',
        '    type: manual',
        '    levels:',
        '      - approvers:',
        '          - admins: true',
        '          - manager: true',
        '          - user: alice@example.com',
        '          - group: V',
      ),
      'groups.yaml': groups,
    });
    expect(located(diagnostics)).toEqual([
      'f.yaml:13:13 error non-admin-approver',
      'f.yaml:14:13 error non-admin-approver',
      'f.yaml:15:13 error non-admin-approver',
    ]);
    expect(diagnostics.map((d) => d.message)).toEqual([
      "the requester's manager may only approve when approval.nonAdminApprovers is true",
      'user alice@example.com may only approve when approval.nonAdminApprovers is true',
      'members of group "V" may only approve when approval.nonAdminApprovers is true',
    ]);
  });

  it('refuses nonAdminApprovers: false with a non-admin approver', async () => {
    const diagnostics = await validate({
      'f.yaml': flow('  approval:', '    type: manual', '    nonAdminApprovers: false', '    levels:', '      - approvers: [manager: true]'),
      'groups.yaml': groups,
    });
    expect(located(diagnostics)).toEqual(['f.yaml:12:21 error non-admin-approver']);
  });

  it('refuses the same approver twice in a level (users ignoring case, groups after case-folding), at the repeat', async () => {
    const diagnostics = await validate({
      'f.yaml': flow(
        '  approval:',
        '    type: manual',
        '    nonAdminApprovers: true',
        '    levels:',
        '      - approvers:',
        '          - user: Alice@example.com',
        '          - group: V',
        '          - user: alice@example.com',
        '          - group: v',
        '          - manager: true',
        '          - admins: true',
        '          - manager: true',
        '          - admins: true',
      ),
      'groups.yaml': groups,
    });
    expect(located(diagnostics)).toEqual([
      'f.yaml:15:13 error duplicate-approver',
      'f.yaml:16:13 error duplicate-approver',
      'f.yaml:19:13 error duplicate-approver',
      'f.yaml:20:13 error duplicate-approver',
    ]);
    expect(diagnostics.map((d) => d.message)).toEqual([
      'user alice@example.com is listed twice in approval level 1',
      'members of group "v" is listed twice in approval level 1',
      "the requester's manager is listed twice in approval level 1",
      'administrators is listed twice in approval level 1',
    ]);
  });

  it('accepts the same approver in two different levels', async () => {
    const diagnostics = await validate({
      'f.yaml': flow(
        '  approval:',
        '    type: manual',
        '    nonAdminApprovers: true',
        '    levels:',
        '      - approvers: [manager: true]',
        '      - approvers: [manager: true]',
      ),
      'groups.yaml': groups,
    });
    expect(diagnostics).toEqual([]);
  });
});

describe('access durations', () => {
  it('refuses duration and durations together, at the durations key', async () => {
    const diagnostics = await validate({
      'f.yaml': flow('  approval: {type: automatic}', '  access:', '    duration: P1D', '    durations: [PT8H, P1D]'),
      'groups.yaml': groups,
    });
    expect(located(diagnostics)).toEqual(['f.yaml:11:5 error duration-conflict']);
    expect(diagnostics[0]!.message).toBe('access.duration (fixed) and access.durations (requester picks) exclude each other; keep one');
  });

  it('accepts either one alone, and permanent access when the project sets no maximum', async () => {
    const diagnostics = await validate({
      'a.yaml': flow('  approval: {type: automatic}', '  access: {duration: P1D}').replace('name: F', 'name: A'),
      'b.yaml': flow('  approval: {type: automatic}', '  access: {durations: [PT8H, P1D]}').replace('name: F', 'name: B'),
      'c.yaml': flow('  approval: {type: automatic}').replace('name: F', 'name: C'),
      'groups.yaml': groups,
    });
    expect(diagnostics).toEqual([]);
  });
});

describe('group references', () => {
  it('warns about every group no GroupAssignment declares: grant group, visibleTo and group approvers', async () => {
    const diagnostics = await validate({
      'f.yaml': lines(
        'apiVersion: accessctl/v1',
        'kind: ApprovalFlow',
        'metadata: {name: F}',
        'spec:',
        '  grantGroup: Nope',
        '  visibleTo: [V, Missing]',
        '  approval:',
        '    type: manual',
        '    nonAdminApprovers: true',
        '    levels:',
        '      - approvers:',
        '          - group: Ghosts',
        '          - group: v',
      ),
      'groups.yaml': groups,
    });
    expect(located(diagnostics)).toEqual([
      'f.yaml:5:15 warning undeclared-group',
      'f.yaml:6:18 warning undeclared-group',
      'f.yaml:12:20 warning undeclared-group',
    ]);
    expect(diagnostics[0]!.message).toBe('group "Nope" is not declared by a GroupAssignment in this repo; plan will check that it exists on the platform');
    expect(diagnostics.map((d) => d.path)).toEqual(['spec.grantGroup', 'spec.visibleTo[1]', 'spec.approval.levels[0].approvers[0].group']);
  });

  it('matches group references to declarations after NFC and case-folding', async () => {
    const diagnostics = await validate({
      'f.yaml': flow('  approval: {type: automatic}').replace('grantGroup: G', 'grantGroup: CAF\u00c9 ADMINS').replace('visibleTo: [V]', 'visibleTo: [v]'),
      'g.yaml': lines('apiVersion: accessctl/v1', 'kind: GroupAssignment', 'metadata: {name: "Cafe\u0301 Admins"}', 'spec: {}'),
      'groups.yaml': groups,
    });
    expect(diagnostics).toEqual([]);
  });

  it('does not count a schema-invalid GroupAssignment as a declaration', async () => {
    const diagnostics = await validate({
      'f.yaml': flow('  approval: {type: automatic}'),
      'g.yaml': lines('apiVersion: accessctl/v1', 'kind: GroupAssignment', 'metadata: {name: G}', 'spec: {create: maybe}'),
      'v.yaml': lines('apiVersion: accessctl/v1', 'kind: GroupAssignment', 'metadata: {name: V}', 'spec: {}'),
    });
    expect(located(diagnostics)).toEqual(['f.yaml:6:15 warning undeclared-group', 'g.yaml:4:16 error wrong-type']);
  });
});
