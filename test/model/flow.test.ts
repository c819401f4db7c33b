// sameFlowSpec is the plan's comparison of a live and a desired flow: it may say "equal" only when
// the generic field diff finds no change, so every field of a complete spec is changed in turn.
import { describe, expect, it } from 'vitest';
import { sameFlowSpec, type ApproverModel, type FlowSpecModel } from '../../src/model/flow.js';
import { deepEqual } from '../../src/plan/field-diff.js';

/** Every field set, the optional ones included: a field added to the model must be added here. */
function complete(): Required<FlowSpecModel> {
  return {
    description: 'Admin access to GitHub',
    enabled: true,
    category: 'application',
    grantGroup: 'GitHub Admins',
    visibleTo: ['Engineering', 'Security'],
    approval: {
      type: 'manual',
      nonAdminApprovers: true,
      levels: [
        { require: 'any', approvers: [{ manager: true }, { admins: true }] },
        { require: 'all', approvers: [{ user: 'ana@example.com' }, { group: 'Security Leads' }] },
      ],
    },
    access: { duration: 'P7D' },
    display: { color: '#FF0000', iconUrl: 'https://example.com/icon.png' },
  };
}

/** The keys a flow spec may leave out (at any depth). */
const OPTIONAL = new Set(['display', 'color', 'iconUrl']);

/** The keys whose only value is true (an approver's kind). */
const LITERAL_TRUE = new Set(['manager', 'admins']);

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** Every changed copy of `value`: each leaf replaced, each list shortened, each key removed. */
function variants(value: Json): Json[] {
  if (Array.isArray(value)) {
    const out: Json[] = value.length > 0 ? [value.slice(1)] : [['extra']];
    value.forEach((item, i) => {
      for (const changed of variants(item)) out.push(value.map((v, j) => (j === i ? changed : v)));
    });
    return out;
  }
  if (value !== null && typeof value === 'object') {
    const out: Json[] = [];
    for (const key of Object.keys(value)) {
      if (OPTIONAL.has(key)) {
        const { [key]: _removed, ...rest } = value;
        out.push(rest);
      }
      // `manager: true` and `admins: true` have one value: an approver changes by becoming another.
      const alternatives = LITERAL_TRUE.has(key) ? [] : variants(value[key]!);
      for (const changed of alternatives) out.push({ ...value, [key]: changed });
      if (LITERAL_TRUE.has(key)) out.push({ [key === 'manager' ? 'admins' : 'manager']: true });
    }
    return out;
  }
  if (typeof value === 'string') return [`${value}x`];
  if (typeof value === 'boolean') return [!value];
  if (typeof value === 'number') return [value + 1];
  return [{ duration: 'P1D' }];
}

describe('sameFlowSpec', () => {
  it('says equal for two specs built alike', () => {
    expect(sameFlowSpec(complete(), complete())).toBe(true);
    const permanent = { ...complete(), access: null };
    expect(sameFlowSpec(permanent, { ...complete(), access: null })).toBe(true);
  });

  it('says not equal whenever the generic field diff finds a change, for a change in any field', () => {
    const base = complete() as unknown as Json;
    const changed = variants(base);
    expect(changed.length).toBeGreaterThanOrEqual(20);
    for (const variant of changed) {
      const spec = variant as unknown as FlowSpecModel;
      expect(deepEqual(base, variant)).toBe(false);
      expect(sameFlowSpec(complete(), spec), JSON.stringify(variant)).toBe(false);
      expect(sameFlowSpec(spec, complete()), JSON.stringify(variant)).toBe(false);
    }
  });

  it('tells a user approver from a group approver of the same name', () => {
    const levels = (approver: ApproverModel) => ({
      ...complete(),
      approval: { ...complete().approval, levels: [{ require: 'any' as const, approvers: [approver] }] },
    });
    expect(sameFlowSpec(levels({ user: 'ops' }), levels({ group: 'ops' }))).toBe(false);
    expect(sameFlowSpec(levels({ group: 'ops' }), levels({ user: 'ops' }))).toBe(false);
    expect(sameFlowSpec(levels({ group: 'ops' }), levels({ group: 'ops' }))).toBe(true);
  });

  it('tells a kept icon (no display) from one the repo sets empty', () => {
    const { display: _display, ...unmanaged } = complete();
    expect(sameFlowSpec(unmanaged, { ...unmanaged, display: {} })).toBe(false);
  });

  it('tells a fixed duration from a choice of one, and from permanent access', () => {
    expect(sameFlowSpec(complete(), { ...complete(), access: null })).toBe(false);
    expect(sameFlowSpec({ ...complete(), access: null }, complete())).toBe(false);
    expect(sameFlowSpec({ ...complete(), access: { duration: 'P7D' } }, { ...complete(), access: { durations: ['P7D'] } })).toBe(false);
  });
});
