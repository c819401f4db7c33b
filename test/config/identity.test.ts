// Specifies the identity rules: one object per name and kind after NFC and case-folding, previous
// names that cannot be confused with current ones, single singletons, and visible names only.
import { describe, expect, it } from 'vitest';
import { automaticFlowFile, configWorkspace, lines, located } from './config-workspace.js';

const { validate } = configWorkspace('identity');

/** A GroupAssignment whose name is on line 4, column 9. */
const group = (name: string, ...metadata: string[]) =>
  lines('apiVersion: accessctl/v1', 'kind: GroupAssignment', 'metadata:', `  name: ${name}`, ...metadata, 'spec: {}');

describe('duplicate names', () => {
  it('refuses two groups with the same name, at the second, naming the first', async () => {
    const diagnostics = await validate({ 'a.yaml': group('Engineering'), 'b.yaml': group('Engineering') });
    expect(located(diagnostics)).toEqual(['b.yaml:4:9 error duplicate-name']);
    expect(diagnostics[0]!.message).toBe('GroupAssignment "Engineering" is already declared at a.yaml:4:9');
    expect(diagnostics[0]!.path).toBe('metadata.name');
  });

  it('refuses a group name that differs only by case', async () => {
    const diagnostics = await validate({ 'a.yaml': group('github admin'), 'b.yaml': group('GitHub Admin') });
    expect(located(diagnostics)).toEqual(['b.yaml:4:9 error duplicate-name']);
    expect(diagnostics[0]!.message).toBe(
      'GroupAssignment "GitHub Admin" conflicts with "github admin" at a.yaml:4:9: the two are the same name once Unicode-normalised (NFC) and case-folded',
    );
  });

  it('refuses a flow name that differs only by case', async () => {
    const flow = (name: string): string => automaticFlowFile(name, 'G', []);
    const diagnostics = await validate({ 'a.yaml': flow('GitHub Admin'), 'b.yaml': flow('github ADMIN'), 'g.yaml': group('G') });
    expect(located(diagnostics)).toEqual(['b.yaml:4:9 error duplicate-name']);
    expect(diagnostics[0]!.message).toContain('ApprovalFlow "github ADMIN" conflicts with "GitHub Admin" at a.yaml:4:9');
  });

  it('refuses "Café" written composed and decomposed as the same name', async () => {
    const composed = 'Caf\u00e9';
    const decomposed = 'Cafe\u0301';
    const diagnostics = await validate({ 'a.yaml': group(composed), 'b.yaml': group(decomposed) });
    expect(located(diagnostics)).toEqual(['b.yaml:4:9 error duplicate-name']);
    expect(diagnostics[0]!.message).toContain('the two are the same name once Unicode-normalised (NFC) and case-folded');
  });

  it('refuses names that are equal after full case folding (Straße and STRASSE)', async () => {
    const diagnostics = await validate({ 'a.yaml': group('Straße'), 'b.yaml': group('STRASSE') });
    expect(located(diagnostics)).toEqual(['b.yaml:4:9 error duplicate-name']);
  });

  it('refuses a duplicate name in a later document of the same file', async () => {
    const diagnostics = await validate({ 'a.yaml': `${group('Ops')}---\n${group('OPS')}` });
    expect(located(diagnostics)).toEqual(['a.yaml:10:9 error duplicate-name']);
    expect(diagnostics[0]!.message).toContain('conflicts with "Ops" at a.yaml:4:9');
  });

  it('refuses two WebhookChannels whose names differ only by case', async () => {
    const channel = (name: string) =>
      lines('apiVersion: accessctl/v1', 'kind: WebhookChannel', `metadata: {name: ${name}}`, 'spec:', '  url: https://x.example.com/');
    const diagnostics = await validate({ 'a.yaml': channel('SIEM'), 'b.yaml': channel('siem') });
    expect(located(diagnostics)).toEqual(['b.yaml:3:18 error duplicate-name']);
    expect(diagnostics[0]!.message).toContain('conflicts with "SIEM" at a.yaml:3:18');
  });

  it('accepts the same name in two different kinds', async () => {
    const diagnostics = await validate({
      'f.yaml': lines(
        'apiVersion: accessctl/v1',
        'kind: ApprovalFlow',
        'metadata: {name: Ops}',
        'spec:',
        '  grantGroup: Ops',
        '  visibleTo: [Ops]',
        '  approval: {type: automatic}',
      ),
      'g.yaml': group('Ops'),
      'w.yaml': lines('apiVersion: accessctl/v1', 'kind: WebhookChannel', 'metadata: {name: Ops}', 'spec:', '  url: https://x.example.com/'),
    });
    expect(diagnostics).toEqual([]);
  });
});

describe('previous names', () => {
  it("refuses a previous name that is another object's current name, at the entry", async () => {
    const diagnostics = await validate({ 'a.yaml': group('New', '  previousNames: [Old, Other]'), 'b.yaml': group('Other') });
    expect(located(diagnostics)).toEqual(['a.yaml:5:24 error previous-name-conflict']);
    expect(diagnostics[0]!.message).toBe('"Other" is the current name of another GroupAssignment at b.yaml:4:9; a previous name cannot be in use');
    expect(diagnostics[0]!.path).toBe('metadata.previousNames[1]');
  });

  it('refuses a previous name that matches another current name only after case-folding', async () => {
    const diagnostics = await validate({ 'a.yaml': group('New', '  previousNames:', '    - other'), 'b.yaml': group('Other') });
    expect(located(diagnostics)).toEqual(['a.yaml:6:7 error previous-name-conflict']);
  });

  it('refuses two objects claiming the same previous name, at the second claim', async () => {
    const diagnostics = await validate({
      'a.yaml': group('A', '  previousNames: [Old]'),
      'b.yaml': group('B', '  previousNames:', '    - old'),
    });
    expect(located(diagnostics)).toEqual(['b.yaml:6:7 error previous-name-conflict']);
    expect(diagnostics[0]!.message).toBe('"old" is also a previous name of the GroupAssignment at a.yaml:4:9; a rename must have one source');
  });

  it('refuses an object listing its own name as a previous name', async () => {
    const diagnostics = await validate({ 'a.yaml': group('Ops', '  previousNames: [ops]') });
    expect(located(diagnostics)).toEqual(['a.yaml:5:19 error previous-name-conflict']);
    expect(diagnostics[0]!.message).toBe('previousNames lists this GroupAssignment\'s own name "ops"');
  });

  it('accepts the same previous name on objects of different kinds', async () => {
    const diagnostics = await validate({
      'g.yaml': group('Ops', '  previousNames: [Old]'),
      'w.yaml': lines(
        'apiVersion: accessctl/v1',
        'kind: WebhookChannel',
        'metadata: {name: Hook, previousNames: [Old]}',
        'spec:',
        '  url: https://x.example.com/',
      ),
    });
    expect(diagnostics).toEqual([]);
  });
});

describe('singletons', () => {
  const settings = (name: string) => lines('apiVersion: accessctl/v1', 'kind: AccessRequestSettings', `metadata: {name: ${name}}`, 'spec: {}');
  const project = (name: string) => lines('apiVersion: accessctl/v1', 'kind: Project', `metadata: {name: ${name}}`);

  it('refuses a second AccessRequestSettings, at its kind, naming the first', async () => {
    const diagnostics = await validate({ 'settings.yaml': `${settings('s')}---\n${settings('t')}` });
    expect(located(diagnostics)).toEqual(['settings.yaml:7:7 error duplicate-singleton']);
    expect(diagnostics[0]!.message).toBe('a repo may declare at most one AccessRequestSettings (the first is at settings.yaml:2:7)');
  });

  it('refuses a second Project in another file', async () => {
    const diagnostics = await validate({ 'accessctl.yaml': project('p'), 'other/accessctl.yaml': project('q') });
    expect(located(diagnostics)).toEqual(['other/accessctl.yaml:2:7 error duplicate-singleton']);
    expect(diagnostics[0]!.message).toBe('a repo may declare at most one Project (the first is at accessctl.yaml:2:7)');
  });

  it('accepts one of each', async () => {
    expect(await validate({ 'accessctl.yaml': project('p'), 'settings.yaml': settings('s') })).toEqual([]);
  });
});

describe('invisible characters in names', () => {
  it('refuses a bidi override, at the column of the character', async () => {
    const diagnostics = await validate({ 'a.yaml': group('Eng\u202Eineering') });
    expect(located(diagnostics)).toEqual(['a.yaml:4:12 error invisible-character']);
    expect(diagnostics[0]!.message).toBe('"Eng<U+202E>ineering" contains U+202E, an invisible or text-direction character; names may not contain them');
  });

  it('refuses a zero-width space, at the column of the character', async () => {
    const diagnostics = await validate({ 'a.yaml': group('Security\u200BLeads') });
    expect(located(diagnostics)).toEqual(['a.yaml:4:17 error invisible-character']);
    expect(diagnostics[0]!.message).toContain('U+200B');
  });

  it('refuses a zero-width joiner inside a quoted name, at the character', async () => {
    const diagnostics = await validate({ 'a.yaml': group('"Ops\u200DTeam"') });
    expect(located(diagnostics)).toEqual(['a.yaml:4:13 error invisible-character']);
  });

  it('refuses a right-to-left mark in a previous name, at the character', async () => {
    const diagnostics = await validate({ 'a.yaml': group('Ops', '  previousNames: [Old, "\u200FOps"]') });
    expect(located(diagnostics)).toEqual(['a.yaml:5:25 error invisible-character']);
    expect(diagnostics[0]!.path).toBe('metadata.previousNames[1]');
  });

  it('refuses a bidi isolate in a group reference of a flow, at the character', async () => {
    const diagnostics = await validate({
      'f.yaml': lines(
        'apiVersion: accessctl/v1',
        'kind: ApprovalFlow',
        'metadata: {name: F}',
        'spec:',
        '  grantGroup: Admins\u2066',
        '  visibleTo: []',
        '  approval: {type: automatic}',
      ),
    });
    expect(located(diagnostics)).toEqual(['f.yaml:5:21 error invisible-character']);
  });

  it('refuses an invisible character in an application name', async () => {
    const diagnostics = await validate({
      'a.yaml': lines('apiVersion: accessctl/v1', 'kind: GroupAssignment', 'metadata: {name: G}', 'spec:', '  applications: [Git\u00ADHub]'),
    });
    expect(located(diagnostics)).toEqual(['a.yaml:5:21 error invisible-character']);
    expect(diagnostics[0]!.message).toContain('U+00AD');
  });

  it('refuses an invisible character written as an escape, at the start of the name', async () => {
    const diagnostics = await validate({ 'a.yaml': group('"Ops\\u200bTeam"'), 'b.yaml': group('"Git\\xADHub"') });
    expect(located(diagnostics)).toEqual(['a.yaml:4:9 error invisible-character', 'b.yaml:4:9 error invisible-character']);
  });
});
