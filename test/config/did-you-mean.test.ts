// A near-miss field name, enum value or kind gets a "did you mean" naming the one it was likely
// meant to be (closestName, shared with the platform's group names); a far one gets only the list.
import { describe, expect, it } from 'vitest';
import { closestName, likelyMeant } from '../../src/config/names.js';
import { configWorkspace, lines, located } from './config-workspace.js';

const { validate } = configWorkspace('did-you-mean');

const flow = (...spec: string[]): string =>
  lines('apiVersion: accessctl/v1', 'kind: ApprovalFlow', 'metadata:', '  name: F', 'spec:', '  grantGroup: G', '  visibleTo: [G]', ...spec);
const group = lines('apiVersion: accessctl/v1', 'kind: GroupAssignment', 'metadata: {name: G}', 'spec: {}');

/** The errors' messages, with their places. */
async function errors(files: Record<string, string>): Promise<string[]> {
  const diagnostics = (await validate({ 'g.yaml': group, ...files })).filter((d) => d.severity === 'error');
  return diagnostics.map((d, i) => `${located([d])[0]!} ${diagnostics[i]!.message}`);
}

describe('did you mean', () => {
  it('suggests the field a misspelt one was meant to be, before the list of fields', async () => {
    expect(await errors({ 'f.yaml': flow('  categroy: application', '  approval: {type: automatic}') })).toEqual([
      'f.yaml:8:3 error unknown-field unknown field "categroy"; did you mean "category"? Expected one of: description, enabled, category, grantGroup, visibleTo, approval, access, display',
    ]);
  });

  it('suggests the field a wrongly capitalised one was meant to be, at any depth', async () => {
    expect(await errors({ 'f.yaml': flow('  approval:', '    Type: automatic') })).toEqual([
      'f.yaml:8:3 error missing-field missing required field "type"',
      'f.yaml:9:5 error unknown-field unknown field "Type"; did you mean "type"? Expected one of: type, nonAdminApprovers, levels',
    ]);
  });

  it('suggests the event name a near miss was meant to be, before the eleven names', async () => {
    const settings = lines(
      'apiVersion: accessctl/v1',
      'kind: AccessRequestSettings',
      'metadata: {name: s}',
      'spec:',
      '  webhooks:',
      '    - channel: {id: 65a0000000000000000000c1}',
      '      events: [access_management_access_request_approved]',
    );
    const [message] = await errors({ 's.yaml': settings });
    expect(message).toMatch(
      /^s\.yaml:7:16 error invalid-value spec\.webhooks\[0\]\.events\[0\] is "access_management_access_request_approved"; did you mean "access_management_access_request_approval"\? Expected one of: \*, access_management_access_request, /,
    );
  });

  it('suggests an enum value for a typo of a few characters', async () => {
    expect(await errors({ 'f.yaml': flow('  category: aplication', '  approval: {type: automatc}') })).toEqual([
      'f.yaml:8:13 error invalid-value spec.category is "aplication"; did you mean "application"? Expected one of: application, device-admin',
      'f.yaml:9:20 error invalid-value spec.approval.type is "automatc"; did you mean "automatic"? Expected one of: manual, automatic',
    ]);
  });

  it('suggests the kind a miscapitalised or misspelt one was meant to be', async () => {
    const doc = (kind: string) => lines('apiVersion: accessctl/v1', `kind: ${kind}`, 'metadata: {name: x}', 'spec: {}');
    expect(await errors({ 'a.yaml': doc('approvalflow'), 'b.yaml': doc('GroupAsignment') })).toEqual([
      'a.yaml:2:7 error unknown-kind unknown kind "approvalflow"; did you mean "ApprovalFlow"? Expected one of: ApprovalFlow, GroupAssignment, AccessRequestSettings, WebhookChannel, Project, AccessTest',
      'b.yaml:2:7 error unknown-kind unknown kind "GroupAsignment"; did you mean "GroupAssignment"? Expected one of: ApprovalFlow, GroupAssignment, AccessRequestSettings, WebhookChannel, Project, AccessTest',
    ]);
  });

  it('suggests the declared group a flow misspells, in the undeclared-group warning', async () => {
    const engineering = lines('apiVersion: accessctl/v1', 'kind: GroupAssignment', 'metadata: {name: Engineering}', 'spec: {}');
    const diagnostics = await validate({
      'g.yaml': group,
      'e.yaml': engineering,
      'f.yaml': lines(
        'apiVersion: accessctl/v1',
        'kind: ApprovalFlow',
        'metadata: {name: F}',
        'spec:',
        '  grantGroup: Enginering',
        '  visibleTo: [Marketing]',
        '  approval: {type: automatic}',
      ),
    });
    expect(diagnostics.map((d) => `${located([d])[0]!} ${d.message}`)).toEqual([
      'f.yaml:5:15 warning undeclared-group group "Enginering" is not declared by a GroupAssignment in this repo; plan will check that it exists on the platform; did you mean "Engineering"?',
      'f.yaml:6:15 warning undeclared-group group "Marketing" is not declared by a GroupAssignment in this repo; plan will check that it exists on the platform',
    ]);
  });

  it('makes no guess for a name far from every candidate, or too short to tell', async () => {
    expect(await errors({ 'f.yaml': flow('  owner: me', '  approval: {type: sometimes}') })).toEqual([
      'f.yaml:8:3 error unknown-field unknown field "owner"; expected one of: description, enabled, category, grantGroup, visibleTo, approval, access, display',
      'f.yaml:9:20 error invalid-value spec.approval.type must be one of: manual, automatic (got "sometimes")',
    ]);
    expect(likelyMeant('x', ['*'])).toBeUndefined();
    expect(likelyMeant('QA', ['IT'])).toBeUndefined();
    expect(likelyMeant('sepc', ['apiVersion', 'kind', 'metadata', 'spec'])).toBe('spec');
  });

  it('is the same closestName the platform names use: case and Unicode form ignored, the nearest first', () => {
    expect(closestName('Enginering', ['Engineering', 'Marketing'])).toBe('Engineering');
    expect(closestName('cafe\u0301 admins', ['Caf\u00e9 Admins'])).toBe('Caf\u00e9 Admins');
    expect(closestName('abcd', ['abcx', 'abxx'])).toBe('abcx');
    expect(closestName('Finance', ['Engineering'])).toBeUndefined();
  });
});
