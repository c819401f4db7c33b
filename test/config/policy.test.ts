// Specifies the Project's policy lints: grant groups matching manualApprovalFor globs (ignoring case,
// with ! negation) must be approved by hand, and no flow may grant access longer than
// maxAccessDuration, or permanently when a maximum is set.
import { describe, expect, it } from 'vitest';
import { configWorkspace, lines, located } from './config-workspace.js';

const { validate } = configWorkspace('policy');

/** The project's policy; the lists sit on lines 6 and 7, their values at column 24. */
const project = (manualApprovalFor: string, maxAccessDuration?: string) =>
  lines(
    'apiVersion: accessctl/v1',
    'kind: Project',
    'metadata: {name: p}',
    'spec:',
    '  policy:',
    `    manualApprovalFor: ${manualApprovalFor}`,
    ...(maxAccessDuration ? [`    maxAccessDuration: ${maxAccessDuration}`] : []),
  );

/** An automatic flow granting `grantGroup`; type is at 9:11 and `access` lines start at line 10. */
const automaticFlow = (grantGroup: string, ...access: string[]) =>
  lines(
    'apiVersion: accessctl/v1',
    'kind: ApprovalFlow',
    'metadata:',
    '  name: F',
    'spec:',
    `  grantGroup: ${grantGroup}`,
    '  visibleTo: []',
    '  approval:',
    '    type: automatic',
    ...access,
  );

/** Declares the group so the flow draws no undeclared-group warning. */
const groupFile = (name: string) => lines('apiVersion: accessctl/v1', 'kind: GroupAssignment', `metadata: {name: "${name}"}`, 'spec: {}');

describe('manualApprovalFor', () => {
  it('refuses automatic approval for a grant group matching a glob, at the type, naming the pattern and where it is set', async () => {
    const diagnostics = await validate({
      'accessctl.yaml': project('["*Admin*"]'),
      'f.yaml': automaticFlow('GitHub Admins'),
      'g.yaml': groupFile('GitHub Admins'),
    });
    expect(located(diagnostics)).toEqual(['f.yaml:9:11 error policy-manual-approval']);
    expect(diagnostics[0]!.message).toBe(
      'grant group "GitHub Admins" matches the policy pattern "*Admin*" (accessctl.yaml:6:24), so approval.type must be manual',
    );
  });

  it('matches globs ignoring case', async () => {
    const diagnostics = await validate({
      'accessctl.yaml': project('["*admin*"]'),
      'f.yaml': automaticFlow('DOMAIN ADMINISTRATORS'),
      'g.yaml': groupFile('DOMAIN ADMINISTRATORS'),
    });
    expect(located(diagnostics)).toEqual(['f.yaml:9:11 error policy-manual-approval']);
  });

  it('lets a ! pattern exempt a group the other patterns match', async () => {
    const diagnostics = await validate({
      'accessctl.yaml': project('["*Admin*", "!Break Glass Admins"]'),
      'f.yaml': automaticFlow('break glass admins'),
      'g.yaml': groupFile('Break Glass Admins'),
    });
    expect(diagnostics).toEqual([]);
  });

  it('applies a ! pattern wherever it sits in the list, ignoring case', async () => {
    const diagnostics = await validate({
      'accessctl.yaml': project('["!break glass*", "*Admin*"]'),
      'f.yaml': automaticFlow('Break Glass Admins'),
      'g.yaml': groupFile('Break Glass Admins'),
    });
    expect(diagnostics).toEqual([]);
  });

  it('treats a list of only ! patterns as every grant group except those', async () => {
    const exempt = await validate({
      'accessctl.yaml': project('["!Sandbox*"]'),
      'f.yaml': automaticFlow('Sandbox Users'),
      'g.yaml': groupFile('Sandbox Users'),
    });
    expect(exempt).toEqual([]);
    const forced = await validate({ 'accessctl.yaml': project('["!Sandbox*"]'), 'f.yaml': automaticFlow('Payroll'), 'g.yaml': groupFile('Payroll') });
    expect(located(forced)).toEqual(['f.yaml:9:11 error policy-manual-approval']);
    expect(forced[0]!.message).toBe('grant group "Payroll" matches the policy pattern "*" (accessctl.yaml:6:24), so approval.type must be manual');
  });

  it('leaves grant groups that match no pattern alone', async () => {
    const diagnostics = await validate({
      'accessctl.yaml': project('["*Admin*"]'),
      'f.yaml': automaticFlow('GitHub Users'),
      'g.yaml': groupFile('GitHub Users'),
    });
    expect(diagnostics).toEqual([]);
  });

  it('accepts manual approval for a matching grant group', async () => {
    const manual = automaticFlow('GitHub Admins').replace('    type: automatic\n', '    type: manual\n    levels: [{approvers: [admins: true]}]\n');
    const diagnostics = await validate({ 'accessctl.yaml': project('["*Admin*"]'), 'f.yaml': manual, 'g.yaml': groupFile('GitHub Admins') });
    expect(diagnostics).toEqual([]);
  });

  it('does nothing without a Project', async () => {
    expect(await validate({ 'f.yaml': automaticFlow('GitHub Admins'), 'g.yaml': groupFile('GitHub Admins') })).toEqual([]);
  });
});

describe('maxAccessDuration', () => {
  const files = (...access: string[]) => ({
    'accessctl.yaml': project('[]', 'P7D'),
    'f.yaml': automaticFlow('G', ...access),
    'g.yaml': groupFile('G'),
  });

  it('refuses a fixed duration over the maximum, at the duration, naming the maximum and where it is set', async () => {
    const diagnostics = await validate(files('  access:', '    duration: P2W'));
    expect(located(diagnostics)).toEqual(['f.yaml:11:15 error policy-max-duration']);
    expect(diagnostics[0]!.message).toBe("P2W is longer than the project's maximum access duration P7D (accessctl.yaml:7:24)");
  });

  it('refuses each listed duration over the maximum, comparing lengths not spellings', async () => {
    const diagnostics = await validate(files('  access:', '    durations: [PT8H, P7D, P8D, PT169H, PT168H]'));
    expect(located(diagnostics)).toEqual(['f.yaml:11:28 error policy-max-duration', 'f.yaml:11:33 error policy-max-duration']);
    expect(diagnostics.map((d) => d.path)).toEqual(['spec.access.durations[2]', 'spec.access.durations[3]']);
  });

  it('accepts a duration equal to the maximum', async () => {
    expect(await validate(files('  access: {duration: P1W}'))).toEqual([]);
  });

  it('refuses permanent access when a maximum is set, at the spec key', async () => {
    const diagnostics = await validate(files());
    expect(located(diagnostics)).toEqual(['f.yaml:5:1 error policy-max-duration']);
    expect(diagnostics[0]!.message).toBe(
      'this flow grants permanent access, but the project allows at most P7D (accessctl.yaml:7:24); set access.duration or access.durations',
    );
  });

  it('checks both lints on the same flow', async () => {
    const diagnostics = await validate({
      'accessctl.yaml': project('["*Admin*"]', 'P1D'),
      'f.yaml': automaticFlow('Admins', '  access: {duration: P2D}'),
      'g.yaml': groupFile('Admins'),
    });
    expect(located(diagnostics)).toEqual(['f.yaml:9:11 error policy-manual-approval', 'f.yaml:10:22 error policy-max-duration']);
  });
});
