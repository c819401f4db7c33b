// Specifies group-mapping.ts: only the description and the application associations are managed, and
// the PUT (UserGroupPut replaces the whole group) starts from the group as last read, so attributes,
// email and a dynamic-membership rule survive a description change.
import { describe, expect, it } from 'vitest';
import { groupCreateBody, groupFromDesired, groupFromWire, groupPutBody, groupSpecForConfig } from '../../src/jumpcloud/group-mapping.js';
import type { WireUserGroup } from '../../src/jumpcloud/wire.js';
import { jumpcloudContract } from '../contract/contract.js';
import { groupDecl, index, resolver, schemaErrors } from './mapping-fixtures.js';

/** A group made in the console with everything UserGroupPut holds set. */
const consoleGroup: WireUserGroup = {
  id: 'g-gh-admins',
  name: 'GitHub Admins',
  description: 'Owners',
  type: 'user_group',
  email: 'github-admins@example.com',
  attributes: { sudo: { enabled: true, withoutPassword: false }, ldapGroups: [{ name: 'gh-admins' }] },
  memberQuery: { queryType: 'FilterQuery', filters: ['department:$eq:Engineering'] },
  memberQueryExemptions: [{ id: 'u-alice', type: 'user' }],
  memberSuggestionsNotify: true,
  membershipMethod: 'DYNAMIC_AUTOMATED',
};

describe('GroupAssignment mapping', () => {
  it('maps a group config -> model -> create body -> platform read -> the same model', () => {
    const names = resolver();
    const model = groupFromDesired(groupDecl({ description: 'Owners of GitHub', create: true, applications: ['Slack', 'github'] }), names);
    expect(names.unknown).toEqual([]);
    expect(model).toEqual({ name: 'GitHub Admins', spec: { description: 'Owners of GitHub', applications: ['GitHub', 'Slack'] } });
    expect(groupCreateBody(model)).toEqual({ name: 'GitHub Admins', description: 'Owners of GitHub' });
    const read: WireUserGroup = { id: 'g-gh-admins', ...groupCreateBody(model), type: 'user_group' };
    expect(groupFromWire(read, ['a-slack', 'a-gh'], index, model.spec)).toEqual(model);
  });

  it('compares applications as a set, resolving both the label and the name', () => {
    const a = groupFromDesired(groupDecl({ applications: ['GitHub', 'Slack'] }), resolver());
    const b = groupFromDesired(groupDecl({ applications: ['slack', 'github'] }), resolver());
    expect(b).toEqual(a);
  });

  it('leaves description and applications unmanaged when the config omits them', () => {
    const model = groupFromDesired(groupDecl({}), resolver());
    expect(model).toEqual({ name: 'GitHub Admins', spec: {} });
    expect(groupCreateBody(model)).toEqual({ name: 'GitHub Admins' });
    expect(groupFromWire(consoleGroup, ['a-gh'], index, model.spec)).toEqual(model);
  });

  it('reads a missing live description as empty when the description is managed', () => {
    expect(groupFromWire({ id: 'g', name: 'G' }, [], index, { description: 'x' }).spec).toEqual({ description: '' });
  });

  it('manages an empty application set: an empty list means no associations', () => {
    const model = groupFromDesired(groupDecl({ applications: [] }), resolver());
    expect(model.spec.applications).toEqual([]);
    expect(groupFromWire(consoleGroup, ['a-gh'], index, model.spec).spec.applications).toEqual(['GitHub']);
  });

  it('collects unknown applications with their config path', () => {
    const names = resolver();
    groupFromDesired(groupDecl({ applications: ['GitHub', 'Jira'] }), names);
    expect(names.unknown).toEqual([{ what: 'application', name: 'Jira', path: ['spec', 'applications', 1] }]);
  });

  it('exports a group as config that maps back to the same model', () => {
    const live = groupFromWire(consoleGroup, ['a-gh'], index, { description: '', applications: [] });
    const exported = groupSpecForConfig(live);
    expect(exported).toEqual({ description: 'Owners', applications: ['GitHub'] });
    expect(schemaErrors('GroupAssignment', live.name, exported)).toEqual([]);
    expect(groupFromDesired(groupDecl(exported), resolver())).toEqual(live);
  });
});

describe('groupPutBody: UserGroupPut replaces the whole group', () => {
  const kept = {
    attributes: consoleGroup.attributes,
    email: consoleGroup.email,
    memberQuery: consoleGroup.memberQuery,
    memberQueryExemptions: consoleGroup.memberQueryExemptions,
    memberSuggestionsNotify: true,
    membershipMethod: 'DYNAMIC_AUTOMATED',
  };

  it('keeps attributes, email, memberQuery, memberQueryExemptions, memberSuggestionsNotify and membershipMethod from the live group', () => {
    const body = groupPutBody(consoleGroup, { name: 'GitHub Admins', spec: { description: 'Owners of GitHub' } });
    expect(body).toEqual({ name: 'GitHub Admins', description: 'Owners of GitHub', ...kept });
    expect(jumpcloudContract().checkBody('PUT', '/api/v2/usergroups/g-gh-admins', body)).toEqual([]);
  });

  it('sets the name from the model, so a rename keeps the rest of the group', () => {
    const body = groupPutBody(consoleGroup, { name: 'GitHub Owners', spec: {} });
    expect(body).toEqual({ name: 'GitHub Owners', description: 'Owners', ...kept });
  });

  it('sets the description only when the model manages it, and keeps the live one otherwise', () => {
    expect(groupPutBody(consoleGroup, { name: 'GitHub Admins', spec: { applications: ['GitHub'] } }).description).toBe('Owners');
    expect(groupPutBody(consoleGroup, { name: 'GitHub Admins', spec: { description: '' } }).description).toBe('');
    const { description: _description, ...noDescription } = consoleGroup;
    expect(groupPutBody(noDescription, { name: 'GitHub Admins', spec: {} })).not.toHaveProperty('description');
  });

  it('keeps a false memberSuggestionsNotify and sends nothing the live group does not have', () => {
    const plain: WireUserGroup = { id: 'g-sec', name: 'Security Leads', memberSuggestionsNotify: false };
    expect(groupPutBody(plain, { name: 'Security Leads', spec: { description: 'Leads' } })).toEqual({
      name: 'Security Leads',
      description: 'Leads',
      memberSuggestionsNotify: false,
    });
  });

  it('sends no field UserGroupPut does not define (id, type)', () => {
    const body = groupPutBody(consoleGroup, { name: 'GitHub Admins', spec: {} });
    expect(body).not.toHaveProperty('id');
    expect(body).not.toHaveProperty('type');
  });
});
