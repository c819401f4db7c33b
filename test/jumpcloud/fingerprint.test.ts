// The fingerprints apply checks before it writes: alike for a list item and a single read of the
// same object (which need not carry the same read-only fields, nor the same zero values), and
// different whenever a field a write would replace differs.
import { describe, expect, it } from 'vitest';
import { flowFingerprint, groupFingerprint, settingsFingerprint } from '../../src/jumpcloud/fingerprint.js';

const read = {
  id: '65a000000000000000000f01',
  name: 'GitHub Admin',
  description: 'Owner access',
  category: 'Application',
  approvalType: 'manual',
  approverRequirement: 'any',
  approverResources: [
    { resourceType: 'manager', resourceOrder: 0, requireAll: false, resourceId: '', resourceName: 'Manager' },
    { resourceType: 'user_group', resourceOrder: 1, resourceId: '65a0000000000000000000c1', resourceName: 'Security Leads', requireAll: true },
  ],
  resources: [{ resourceId: '65a0000000000000000000c2', resourceName: 'GitHub Admins', resourceType: 'user_group' }],
  visibleTo: [{ id: '65a0000000000000000000c3', name: 'Engineering Admin' }],
  status: 'active',
  timeBasedAccess: true,
  ttlConfig: 'TTL_CONFIG_FIXED_DURATION',
  fixedDuration: 'P7D',
  multiSelectDuration: [],
  nonAdminApproval: false,
  slackEnabled: false,
  slackConfig: [],
  organizationId: 'ZaAAAAAAAAAAAADB',
  createdBy: 'admin@example.com',
  updatedBy: 'admin@example.com',
};

/** The same flow as a protojson list item might carry it: no read-only fields, no zero values, no echoed names, keys in another order. */
const listItem = {
  visibleTo: [{ id: '65a0000000000000000000c3' }],
  status: 'active',
  name: 'GitHub Admin',
  fixedDuration: 'P7D',
  ttlConfig: 'TTL_CONFIG_FIXED_DURATION',
  timeBasedAccess: true,
  description: 'Owner access',
  approvalType: 'manual',
  approverRequirement: 'any',
  approverResources: [
    { resourceType: 'manager', resourceOrder: 0 },
    { resourceOrder: 1, resourceType: 'user_group', resourceId: '65a0000000000000000000c1', requireAll: true },
  ],
  resources: [{ resourceType: 'user_group', resourceId: '65a0000000000000000000c2' }],
  id: '65a000000000000000000f01',
};

describe('flowFingerprint', () => {
  it('is the same for a list item and a single read of the same flow', () => {
    expect(flowFingerprint(listItem)).toBe(flowFingerprint(read));
  });

  it('is the same when only who changed it, its org or a referenced group name moved', () => {
    const renamedGroup = { ...read, updatedBy: 'someone@example.com', visibleTo: [{ id: '65a0000000000000000000c3', name: 'Eng Admins' }] };
    expect(flowFingerprint(renamedGroup)).toBe(flowFingerprint(read));
  });

  it.each([
    ['description', { description: 'Changed by hand' }],
    ['name', { name: 'GitHub Owner' }],
    ['visibleTo', { visibleTo: [{ id: '65a0000000000000000000c4', name: 'Engineering Admin' }] }],
    ['a level', { approverResources: [read.approverResources[0], { ...read.approverResources[1], requireAll: false }] }],
    ['the duration', { fixedDuration: 'P1D' }],
    ['the status', { status: 'inactive' }],
    ['a switch turned on', { slackEnabled: true }],
  ])('differs when %s differs', (_what, change) => {
    expect(flowFingerprint({ ...read, ...change })).not.toBe(flowFingerprint(read));
  });
  it("counts free text that ends like an enum's zero (only an enum token is a zero value)", () => {
    const { description: _dropped, ...without } = read;
    expect(flowFingerprint({ ...read, description: 'Scope: TTL_UNSPECIFIED' })).not.toBe(flowFingerprint(without));
    expect(flowFingerprint({ ...read, ttlConfig: 'TTL_CONFIG_UNSPECIFIED' })).toBe(flowFingerprint({ ...read, ttlConfig: undefined }));
  });
});

describe('groupFingerprint', () => {
  const group = {
    id: 'g1',
    name: 'GitHub Admins',
    description: 'Owners',
    type: 'user_group',
    attributes: { ldapGroups: [{ name: 'gh-admins' }] },
    suggestionCounts: { add: 1, remove: 0, total: 1 },
  };

  it('ignores what the platform moves on its own (suggestionCounts), and covers the applications', () => {
    expect(groupFingerprint({ ...group, suggestionCounts: { add: 7, remove: 2, total: 9 } }, ['a1'])).toBe(groupFingerprint(group, ['a1']));
    expect(groupFingerprint(group, ['a1', 'a2'])).not.toBe(groupFingerprint(group, ['a1']));
  });

  it("covers a nested name that a write sends (an LDAP group's)", () => {
    expect(groupFingerprint({ ...group, attributes: { ldapGroups: [{ name: 'other' }] } }, undefined)).not.toBe(groupFingerprint(group, undefined));
  });
});

describe('settingsFingerprint', () => {
  const settings = { id: 's', resourceRequest: true, userRequestEmail: true, adminApprovalEmail: false, channelEvents: [], createdBy: 'a', updatedBy: 'a' };

  it('ignores who changed the settings and zero values left out, and covers each switch', () => {
    expect(settingsFingerprint({ resourceRequest: true, userRequestEmail: true })).toBe(settingsFingerprint(settings));
    expect(settingsFingerprint({ ...settings, adminApprovalEmail: true })).not.toBe(settingsFingerprint(settings));
  });
});
