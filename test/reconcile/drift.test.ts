// Drift is judged per object: a live difference is drift only while that object's own desired state
// is what the platform last matched. Pure functions, so every case is a table row; the sandbox-backed
// cases (another file edited, a restart) are in run.test.ts.
import { describe, expect, it } from 'vitest';
import { emptyDesiredState, type DesiredState } from '../../src/config/desired.js';
import type { Change } from '../../src/plan/plan.js';
import { classifyChanges, desiredDigests, nextDigests, objectKey, type ClassifyInput } from '../../src/reconcile/drift.js';

const SOURCE = { file: 'x.yaml', line: 1, column: 1 };

function change(kind: Change['kind'], name: string, action: Change['action']): Change {
  const base = { kind, name, action, fields: [{ path: 'spec.description', before: 'a', after: 'b' }] };
  if (action === 'create') return { ...base, after: {}, source: SOURCE } as unknown as Change;
  if (action === 'update') return { ...base, id: 'id-1', before: {}, after: {}, source: SOURCE, liveFingerprint: 'f' } as unknown as Change;
  return { ...base, id: 'id-1', before: {}, liveFingerprint: 'f' } as unknown as Change;
}

function desiredWith(flows: { name: string; description: string; annotations?: Record<string, string> }[]): DesiredState {
  const state = emptyDesiredState();
  state.flows = flows.map(({ name, description, annotations }) => ({
    name,
    object: { apiVersion: 'accessctl/v1', kind: 'ApprovalFlow', metadata: { name, ...(annotations ? { annotations } : {}) }, spec: { description } },
    source: { file: `${name}.yaml` },
  })) as unknown as DesiredState['flows'];
  return state;
}

const A = objectKey('ApprovalFlow', 'GitHub Admin');
const U = objectKey('ApprovalFlow', 'GitHub User');

function input(overrides: Partial<ClassifyInput>): ClassifyInput {
  return { baseline: { [A]: 'sha256:a', [U]: 'sha256:u' }, current: { [A]: 'sha256:a', [U]: 'sha256:u' }, policies: {}, paused: new Map(), ...overrides };
}

describe('objectKey and desiredDigests', () => {
  it('keys an object by kind and name identity, so case and Unicode form do not matter', () => {
    expect(objectKey('ApprovalFlow', 'GitHub Admin')).toBe(objectKey('ApprovalFlow', 'GITHUB ADMIN'));
    expect(objectKey('ApprovalFlow', 'Caf\u00e9')).toBe(objectKey('ApprovalFlow', 'Cafe\u0301'));
    expect(objectKey('ApprovalFlow', 'x')).not.toBe(objectKey('GroupAssignment', 'x'));
  });

  it('digests each object on its own: editing one changes only its digest', () => {
    const before = desiredDigests(
      desiredWith([
        { name: 'GitHub Admin', description: 'one' },
        { name: 'GitHub User', description: 'two' },
      ]),
    );
    const after = desiredDigests(
      desiredWith([
        { name: 'GitHub Admin', description: 'one' },
        { name: 'GitHub User', description: 'changed' },
      ]),
    );
    expect(after[A]).toBe(before[A]);
    expect(after[U]).not.toBe(before[U]);
  });

  it('leaves annotations out of the digest: pausing an object does not make its drift a change', () => {
    const plain = desiredDigests(desiredWith([{ name: 'GitHub Admin', description: 'one' }]));
    const paused = desiredDigests(
      desiredWith([{ name: 'GitHub Admin', description: 'one', annotations: { 'accessctl.io/pause-drift-until': '2026-12-01T00:00:00Z' } }]),
    );
    expect(paused[A]).toBe(plain[A]);
  });
});

describe('classifyChanges', () => {
  it('calls a difference drift when the object is as last applied, and a change when its own config changed', () => {
    const [drift, edited] = classifyChanges(
      [change('ApprovalFlow', 'GitHub Admin', 'update'), change('ApprovalFlow', 'GitHub User', 'update')],
      input({ current: { [A]: 'sha256:a', [U]: 'sha256:u2' } }),
    );
    expect(drift).toMatchObject({ drift: true, handling: 'apply', policy: 'correct' });
    expect(edited).toMatchObject({ drift: false, handling: 'apply' });
  });

  it('keeps report-only drift reported whatever else changed in the repo', () => {
    const classified = classifyChanges(
      [change('ApprovalFlow', 'GitHub Admin', 'update')],
      input({ current: { [A]: 'sha256:a', [U]: 'sha256:u-edited' }, policies: { ApprovalFlow: 'report' } }),
    );
    expect(classified).toMatchObject([{ drift: true, handling: 'report', policy: 'report' }]);
  });

  it('calls everything a change when nothing is known of the last apply', () => {
    const classified = classifyChanges(
      [change('ApprovalFlow', 'GitHub Admin', 'update'), change('ApprovalFlow', 'Console Made', 'delete')],
      input({ baseline: undefined, policies: { ApprovalFlow: 'report' } }),
    );
    expect(classified.map((c) => [c.drift, c.handling])).toEqual([
      [false, 'apply'],
      [false, 'apply'],
    ]);
  });

  it('calls re-creating an object deleted on the platform drift, and creating a new one a change', () => {
    const classified = classifyChanges(
      [change('ApprovalFlow', 'GitHub Admin', 'create'), change('ApprovalFlow', 'Brand New', 'create')],
      input({ current: { [A]: 'sha256:a', [objectKey('ApprovalFlow', 'Brand New')]: 'sha256:n' } }),
    );
    expect(classified.map((c) => c.drift)).toEqual([true, false]);
  });

  it('calls deleting an object the repo never held drift, and one the repo dropped a change', () => {
    const dropped = objectKey('ApprovalFlow', 'Dropped');
    const classified = classifyChanges(
      [change('ApprovalFlow', 'Console Made', 'delete'), change('ApprovalFlow', 'Dropped', 'delete')],
      input({ baseline: { [A]: 'sha256:a', [dropped]: 'sha256:d' }, current: { [A]: 'sha256:a' } }),
    );
    expect(classified.map((c) => c.drift)).toEqual([true, false]);
  });

  it('holds back drift of a paused object under a correct policy, and only its drift', () => {
    const paused = new Map([
      [A, '2026-12-01T00:00:00.000Z'],
      [U, '2026-12-01T00:00:00.000Z'],
    ]);
    const classified = classifyChanges(
      [change('ApprovalFlow', 'GitHub Admin', 'update'), change('ApprovalFlow', 'GitHub User', 'update')],
      input({ current: { [A]: 'sha256:a', [U]: 'sha256:u2' }, paused }),
    );
    expect(classified[0]).toMatchObject({ drift: true, handling: 'paused', pausedUntil: '2026-12-01T00:00:00.000Z' });
    expect(classified[1]).toMatchObject({ drift: false, handling: 'apply' });
  });
});

describe('nextDigests', () => {
  const changes = [change('ApprovalFlow', 'GitHub Admin', 'update'), change('ApprovalFlow', 'GitHub User', 'update')];

  it('records the current digest where the platform now matches, and keeps the old one where it still differs', () => {
    const baseline = { [A]: 'sha256:a', [U]: 'sha256:u' };
    const current = { [A]: 'sha256:a', [U]: 'sha256:u2' };
    const classified = classifyChanges(changes, input({ baseline, current, policies: { ApprovalFlow: 'report' } }));
    // GitHub Admin's drift is only reported (not applied); GitHub User's change landed.
    const next = nextDigests({ baseline, current, classified, applied: new Set([changes[1]!]), stillLive: new Set() });
    expect(next).toEqual({ [A]: 'sha256:a', [U]: 'sha256:u2' });
    // A change that failed keeps the old digest, so it is still a change next run, not drift.
    expect(nextDigests({ baseline, current, classified, applied: new Set(), stillLive: new Set() })).toEqual({ [A]: 'sha256:a', [U]: 'sha256:u' });
  });

  it('does not record an object whose first change failed: it stays a change', () => {
    const current = { [A]: 'sha256:a' };
    const classified = classifyChanges([change('ApprovalFlow', 'GitHub Admin', 'create')], input({ baseline: undefined, current }));
    expect(nextDigests({ baseline: undefined, current, classified, applied: new Set(), stillLive: new Set() })).toEqual({});
  });

  it('remembers an object the repo dropped while it still lives, and forgets it once it is gone', () => {
    const dropped = objectKey('ApprovalFlow', 'Dropped');
    const baseline = { [A]: 'sha256:a', [dropped]: 'sha256:d' };
    const current = { [A]: 'sha256:a' };
    expect(nextDigests({ baseline, current, classified: [], applied: new Set(), stillLive: new Set([dropped]) })).toEqual(baseline);
    expect(nextDigests({ baseline, current, classified: [], applied: new Set(), stillLive: new Set() })).toEqual(current);
  });
});
