// Specifies directory-index.ts: names resolve to live ids after NFC and case-folding, users by email
// or username (named by email), applications by label or name; unknown names are collected with the
// config path that wrote them, never thrown.
import { describe, expect, it } from 'vitest';
import { DirectoryIndex, NameResolver, type ReferencePath } from '../../src/jumpcloud/directory-index.js';

const index = new DirectoryIndex({
  groups: [
    { id: 'g-cafe', name: 'Caf\u00e9 Crew' },
    { id: 'g-sec', name: 'Security Leads' },
  ],
  users: [{ _id: 'u-alice', email: 'alice@example.com', username: 'alice' }, { _id: 'u-bob', username: 'bob' }, { _id: 'u-nobody' }],
  applications: [
    { _id: 'a-gh', name: 'github', displayLabel: 'GitHub' },
    { _id: 'a-jira', name: 'jira' },
    // A second app whose name is the first one's label: the label already taken stays with the first.
    { _id: 'a-gh-enterprise', name: 'GitHub', displayLabel: 'GitHub Enterprise' },
  ],
});

describe('DirectoryIndex', () => {
  it('finds a group by its NFC, case-folded name, and by id', () => {
    expect(index.group('CAFE\u0301 CREW')).toEqual({ id: 'g-cafe', name: 'Caf\u00e9 Crew' });
    expect(index.group('security leads')).toEqual({ id: 'g-sec', name: 'Security Leads' });
    expect(index.group('Security')).toBeUndefined();
    expect(index.groupById('g-sec')?.name).toBe('Security Leads');
  });

  it('finds a user by email or username in any case, and names them by email where there is one', () => {
    expect(index.user('ALICE')).toEqual({ id: 'u-alice', name: 'alice@example.com' });
    expect(index.user('Alice@Example.com')).toEqual({ id: 'u-alice', name: 'alice@example.com' });
    expect(index.user('bob')).toEqual({ id: 'u-bob', name: 'bob' });
    expect(index.userById('u-nobody')).toEqual({ id: 'u-nobody', name: 'u-nobody' });
  });

  it('finds an application by label or name, named by its label', () => {
    expect(index.application('github')).toEqual({ id: 'a-gh', name: 'GitHub' });
    expect(index.application('GITHUB ENTERPRISE')).toEqual({ id: 'a-gh-enterprise', name: 'GitHub Enterprise' });
    expect(index.application('Jira')).toEqual({ id: 'a-jira', name: 'jira' });
    expect(index.applicationById('a-gh')?.name).toBe('GitHub');
  });
});

/** A group reference resolved as the flow mapping resolves one. */
const group = (names: NameResolver, name: string, path: ReferencePath): string => names.knownGroup(name) ?? names.unknownGroup(name, path);

describe('NameResolver', () => {
  it('resolves to the live spelling and records the id of every name resolved', () => {
    const names = new NameResolver(index, new Map());
    expect(group(names, 'cafe\u0301 crew', ['spec', 'grantGroup'])).toBe('Caf\u00e9 Crew');
    expect(names.user('alice', ['u'])).toBe('alice@example.com');
    expect(names.application('github', ['a'])).toBe('GitHub');
    expect(names.unknown).toEqual([]);
    expect(names.ids).toEqual({ groups: { 'Caf\u00e9 Crew': 'g-cafe' }, users: { 'alice@example.com': 'u-alice' }, applications: { GitHub: 'a-gh' } });
  });

  it('accepts a group the repo will create under the name it is written with, and records no id for it', () => {
    const names = new NameResolver(index, new Map([['new team', 'New Team']]));
    expect(group(names, 'NEW TEAM', ['spec', 'visibleTo', 0])).toBe('New Team');
    expect(names.unknown).toEqual([]);
    expect(names.ids.groups).toEqual({});
  });

  it('collects unknown names with the path that wrote them, and returns them as written', () => {
    const names = new NameResolver(index, new Map(), false);
    expect(group(names, 'Ghosts', ['spec', 'visibleTo', 1])).toBe('Ghosts');
    expect(names.user('mallory', ['spec', 'approval', 'levels', 0, 'approvers', 0, 'user'])).toBe('mallory');
    expect(names.application('Confluence', ['spec', 'applications', 2])).toBe('Confluence');
    expect(names.unknown).toEqual([
      { what: 'group', name: 'Ghosts', path: ['spec', 'visibleTo', 1] },
      { what: 'user', name: 'mallory', path: ['spec', 'approval', 'levels', 0, 'approvers', 0, 'user'] },
      { what: 'application', name: 'Confluence', path: ['spec', 'applications', 2] },
    ]);
    expect(names.directoryKnown).toBe(false);
  });
});
