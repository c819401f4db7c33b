// schemas/plan.schema.json is written by hand next to the Plan type in src/plan/plan.ts: this keeps
// them from drifting. Each object's property and required sets, each enum and which actions each
// kind allows are compared with lists the compiler holds to be exactly the type's (a field added
// to or dropped from the type breaks the type check here until the list, and then this test, agree);
// and a plan with every Change variant, made by the real planner, must validate against the schema.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import type { SourceLocation } from '../../src/errors.js';
import type { AccessImpact, FlowImpact, ImpactCause, ImpactCode, ImpactDirection, ImpactItem } from '../../src/impact/impact.js';
import { diff } from '../../src/plan/diff.js';
import type {
  Blocked,
  Change,
  ChangeAction,
  FieldChange,
  Guards,
  ManagedKind,
  PlanProblem,
  References,
  Unmanageable,
  InSync,
  Unmanaged,
  UnsupportedKind,
} from '../../src/plan/plan.js';
import { renderJson, type PlanDocument } from '../../src/plan/render-json.js';
import { channel, desired, desiredChannels, emptyInput, flow, group, live, openPolicy, settings } from './builders.js';

/** Every key of any member of a union. */
type AllKeys<T> = T extends unknown ? keyof T : never;
/** The keys a member of a union must have (optional ones left out). */
// biome-ignore lint/complexity/noBannedTypes: {} is what an optional key's Pick extends
type RequiredKeys<T> = T extends unknown ? { [K in keyof T]-?: {} extends Pick<T, K> ? never : K }[keyof T] : never;
type Variant<K extends ManagedKind, A extends ChangeAction> = Extract<Change, { kind: K; action: A }>;
type ActionsOf<K extends ManagedKind> = Variant<K, ChangeAction>['action'];

/** `list`, which the compiler accepts only when it names each member of U once at least and nothing else. */
function exactly<U extends PropertyKey>() {
  return <const L extends readonly U[]>(list: L & ([U] extends [L[number]] ? unknown : { missing: Exclude<U, L[number]> })): string[] => [...list].map(String);
}

type Schema = {
  properties?: Record<string, Schema>;
  required?: string[];
  enum?: string[];
  const?: string;
  $ref?: string;
  items?: Schema;
  allOf?: { if: { properties: Record<string, Schema> }; then: Schema }[];
};
const schema = JSON.parse(readFileSync(new URL('../../schemas/plan.schema.json', import.meta.url), 'utf8')) as Schema & { $defs: Record<string, Schema> };

/** The object schema at a path of property names from the root, following $ref and array items. */
function at(...path: string[]): Schema {
  let node: Schema = schema;
  const resolve = (n: Schema): Schema => {
    const referred = n.$ref ? (schema.$defs[n.$ref.replace('#/$defs/', '')] ?? {}) : n;
    return referred.items ? resolve(referred.items) : referred;
  };
  for (const name of path) node = resolve(node.properties?.[name] ?? {});
  return resolve(node);
}
const def = (name: string): Schema => schema.$defs[name] ?? {};
const sorted = (list: Iterable<string>): string[] => [...list].sort();

// Each object the plan holds: the schema's node, and its keys and required keys by the type.
const objects: [string, Schema, string[], string[]][] = [
  [
    'Plan (with the JSON summary)',
    schema,
    exactly<keyof PlanDocument>()([
      'formatVersion',
      'target',
      'orgId',
      'changes',
      'unmanaged',
      'unmanageable',
      'unsupported',
      'blocked',
      'noop',
      'inSync',
      'unknown',
      'problems',
      'warnings',
      'summary',
      'references',
      'guards',
      'impact',
    ]),
    exactly<RequiredKeys<PlanDocument>>()([
      'formatVersion',
      'target',
      'changes',
      'unmanaged',
      'unmanageable',
      'unsupported',
      'blocked',
      'noop',
      'unknown',
      'problems',
      'warnings',
      'summary',
      'references',
      'guards',
    ]),
  ],
  [
    'Change',
    def('change'),
    exactly<AllKeys<Change>>()(['kind', 'action', 'name', 'id', 'renamedFrom', 'fields', 'before', 'after', 'source', 'liveFingerprint', 'config']),
    // Required by every variant; the rest per variant, below.
    exactly<RequiredKeys<Pick<Change, 'kind' | 'action' | 'name' | 'fields'>>>()(['kind', 'action', 'name', 'fields']),
  ],
  ['FieldChange', def('field'), exactly<keyof FieldChange>()(['path', 'before', 'after', 'sensitive']), exactly<RequiredKeys<FieldChange>>()(['path'])],
  [
    'SourceLocation',
    def('location'),
    exactly<keyof SourceLocation>()(['file', 'line', 'column']),
    exactly<RequiredKeys<SourceLocation>>()(['file', 'line', 'column']),
  ],
  ['Unmanaged', def('unmanaged'), exactly<keyof Unmanaged>()(['kind', 'name', 'id']), exactly<RequiredKeys<Unmanaged>>()(['kind', 'name', 'id'])],
  ['InSync', at('inSync'), exactly<keyof InSync>()(['kind', 'name', 'id']), exactly<RequiredKeys<InSync>>()(['kind', 'name', 'id'])],
  [
    'Unmanageable',
    at('unmanageable'),
    exactly<keyof Unmanageable>()(['kind', 'name', 'id', 'reasons', 'source']),
    exactly<RequiredKeys<Unmanageable>>()(['kind', 'name', 'id', 'reasons']),
  ],
  ['UnsupportedKind', at('unsupported'), exactly<keyof UnsupportedKind>()(['kind', 'reason']), exactly<RequiredKeys<UnsupportedKind>>()(['kind', 'reason'])],
  ['Blocked', def('blocked'), exactly<keyof Blocked>()(['kind', 'name', 'id', 'reason']), exactly<RequiredKeys<Blocked>>()(['kind', 'name', 'reason'])],
  [
    'PlanProblem',
    def('problem'),
    exactly<keyof PlanProblem>()(['code', 'message', 'kind', 'name', 'source']),
    exactly<RequiredKeys<PlanProblem>>()(['code', 'message']),
  ],
  [
    'noop',
    at('noop'),
    exactly<keyof PlanDocument['noop']>()(['GroupAssignment', 'ApprovalFlow', 'AccessRequestSettings', 'WebhookChannel']),
    exactly<RequiredKeys<PlanDocument['noop']>>()(['GroupAssignment', 'ApprovalFlow', 'AccessRequestSettings', 'WebhookChannel']),
  ],
  [
    'summary',
    at('summary'),
    exactly<keyof PlanDocument['summary']>()(['create', 'update', 'delete', 'unmanaged', 'blocked', 'applicable']),
    exactly<RequiredKeys<PlanDocument['summary']>>()(['create', 'update', 'delete', 'unmanaged', 'blocked', 'applicable']),
  ],
  [
    'References',
    at('references'),
    exactly<keyof References>()(['groups', 'users', 'applications', 'channels', 'channelIdEncoding']),
    exactly<RequiredKeys<References>>()(['groups', 'users', 'applications', 'channels', 'channelIdEncoding']),
  ],
  [
    'Guards',
    at('guards'),
    exactly<keyof Guards>()(['prune', 'maxDeletions', 'maxDeletionPercent', 'protected']),
    exactly<RequiredKeys<Guards>>()(['prune', 'maxDeletions', 'maxDeletionPercent', 'protected']),
  ],
  [
    'Guards.prune',
    at('guards', 'prune'),
    exactly<keyof Guards['prune']>()(['GroupAssignment', 'ApprovalFlow', 'AccessRequestSettings', 'WebhookChannel']),
    exactly<RequiredKeys<Guards['prune']>>()([] as never[]),
  ],
  [
    'AccessImpact',
    at('impact'),
    exactly<keyof AccessImpact>()(['status', 'reason', 'pendingRequests', 'flows', 'summary']),
    exactly<RequiredKeys<AccessImpact>>()(['status', 'pendingRequests', 'flows', 'summary']),
  ],
  [
    'AccessImpact.summary',
    at('impact', 'summary'),
    exactly<keyof AccessImpact['summary']>()(['widening', 'narrowing', 'neutral']),
    exactly<RequiredKeys<AccessImpact['summary']>>()(['widening', 'narrowing', 'neutral']),
  ],
  [
    'FlowImpact',
    def('flowImpact'),
    exactly<keyof FlowImpact>()(['flow', 'action', 'renamedFrom', 'grantGroup', 'items', 'pendingRequests', 'source']),
    exactly<RequiredKeys<FlowImpact>>()(['flow', 'action', 'grantGroup', 'items']),
  ],
  [
    'FlowImpact.pendingRequests',
    at('impact', 'flows', 'pendingRequests'),
    exactly<keyof NonNullable<FlowImpact['pendingRequests']>>()(['count', 'effect']),
    exactly<RequiredKeys<NonNullable<FlowImpact['pendingRequests']>>>()(['count', 'effect']),
  ],
  [
    'ImpactItem',
    def('impactItem'),
    exactly<keyof ImpactItem>()(['direction', 'code', 'message', 'people', 'cause', 'source']),
    exactly<RequiredKeys<ImpactItem>>()(['direction', 'code', 'message', 'cause']),
  ],
  ['ImpactCause', def('impactCause'), exactly<keyof ImpactCause>()(['field', 'group', 'level']), exactly<RequiredKeys<ImpactCause>>()(['field'])],
  [
    'PeopleList',
    def('impactPeople'),
    exactly<keyof NonNullable<ImpactItem['people']>>()(['count', 'emails']),
    exactly<RequiredKeys<NonNullable<ImpactItem['people']>>>()(['count', 'emails']),
  ],
];

// Each enum of the schema, and the union the type allows there.
const enums: [string, Schema, string[]][] = [
  ['ManagedKind', def('kind'), exactly<ManagedKind>()(['GroupAssignment', 'ApprovalFlow', 'AccessRequestSettings', 'WebhookChannel'])],
  ['ChangeAction', def('change').properties?.['action'] ?? {}, exactly<ChangeAction>()(['create', 'update', 'delete'])],
  ['References.channelIdEncoding', at('references').properties?.['channelIdEncoding'] ?? {}, exactly<References['channelIdEncoding']>()(['hex', 'base64'])],
  ['AccessImpact.status', at('impact').properties?.['status'] ?? {}, exactly<AccessImpact['status']>()(['computed', 'unknown'])],
  [
    'AccessImpact.pendingRequests',
    at('impact').properties?.['pendingRequests'] ?? {},
    exactly<AccessImpact['pendingRequests']>()(['read', 'not-needed', 'unknown']),
  ],
  ['FlowImpact.action', def('flowImpact').properties?.['action'] ?? {}, exactly<FlowImpact['action']>()(['create', 'update', 'delete'])],
  [
    'FlowImpact.pendingRequests.effect',
    at('impact', 'flows', 'pendingRequests').properties?.['effect'] ?? {},
    exactly<NonNullable<FlowImpact['pendingRequests']>['effect']>()(['cancelled', 'kept']),
  ],
  ['ImpactDirection', def('impactItem').properties?.['direction'] ?? {}, exactly<ImpactDirection>()(['widening', 'narrowing', 'neutral'])],
  ['ImpactCode', def('impactItem').properties?.['code'] ?? {}, exactly<ImpactCode>()(impactCodes())],
  [
    'ImpactCause.field',
    def('impactCause').properties?.['field'] ?? {},
    exactly<ImpactCause['field']>()(['flow', 'enabled', 'visibleTo', 'grantGroup', 'approval.type', 'approval.nonAdminApprovers', 'approval.levels', 'access']),
  ],
];

/** The impact codes, listed once here because they are many. */
function impactCodes() {
  return [
    'requesters-added',
    'requesters-removed',
    'no-requesters',
    'flow-enabled',
    'flow-disabled',
    'flow-deleted',
    'approval-automatic',
    'approval-manual',
    'approval-levels',
    'admins-only',
    'non-admin-approvers',
    'level-added',
    'level-removed',
    'level-require',
    'approvers-added',
    'approvers-removed',
    'approvers-renamed',
    'grant-group',
    'max-duration',
    'durations',
    'missing-manager',
    'no-eligible-approver',
    'pending-cancelled',
    'pending-kept',
    'more-lines',
  ] as const satisfies readonly ImpactCode[];
}

// The keys each Change variant must carry, by kind and then action: the kinds and actions are the union's own.
// Most variants share the create and update keys; the compiler still checks each list against its variant.
const CREATE = ['kind', 'action', 'name', 'fields', 'after', 'source'] as const;
const UPDATE = ['kind', 'action', 'name', 'fields', 'id', 'before', 'after', 'source', 'liveFingerprint'] as const;
const variants = {
  ApprovalFlow: {
    create: exactly<RequiredKeys<Variant<'ApprovalFlow', 'create'>>>()(CREATE),
    update: exactly<RequiredKeys<Variant<'ApprovalFlow', 'update'>>>()(UPDATE),
    delete: exactly<RequiredKeys<Variant<'ApprovalFlow', 'delete'>>>()(['kind', 'action', 'name', 'fields', 'id', 'before', 'liveFingerprint']),
  },
  GroupAssignment: {
    create: exactly<RequiredKeys<Variant<'GroupAssignment', 'create'>>>()(CREATE),
    update: exactly<RequiredKeys<Variant<'GroupAssignment', 'update'>>>()(UPDATE),
  },
  WebhookChannel: {
    create: exactly<RequiredKeys<Variant<'WebhookChannel', 'create'>>>()([...CREATE, 'config']),
    update: exactly<RequiredKeys<Variant<'WebhookChannel', 'update'>>>()([...UPDATE, 'config']),
  },
  AccessRequestSettings: {
    update: exactly<RequiredKeys<Variant<'AccessRequestSettings', 'update'>>>()(UPDATE),
  },
} satisfies { [K in ManagedKind]: { [A in ActionsOf<K>]: string[] } };

const matches = (clause: { properties: Record<string, Schema> }, change: Record<string, string>): boolean =>
  Object.entries(clause.properties).every(([key, rule]) => rule.const === change[key] || (rule.enum?.includes(change[key] ?? '') ?? false));

/** What the schema's conditions allow and require of one kind and action. */
function schemaVariant(kind: string, action: string): { allowed: boolean; required: string[] } {
  const change = def('change');
  const required = new Set(change.required);
  let allowed = change.properties?.['action']?.enum?.includes(action) ?? false;
  for (const clause of change.allOf ?? []) {
    if (!matches(clause.if, { kind, action })) continue;
    for (const key of clause.then.required ?? []) required.add(key);
    const rule = clause.then.properties?.['action'];
    if (rule && rule.const !== undefined && rule.const !== action) allowed = false;
    if (rule?.enum && !rule.enum.includes(action)) allowed = false;
  }
  return { allowed, required: sorted(required) };
}

describe('schemas/plan.schema.json matches the Plan type', () => {
  it.each(objects)('%s: the same properties, and the same ones required', (_name, node, keys, required) => {
    expect(sorted(Object.keys(node.properties ?? {}))).toEqual(sorted(keys));
    expect(sorted(node.required ?? [])).toEqual(sorted(required));
  });

  it.each(enums)('%s: the same values', (_name, node, values) => {
    expect(sorted(node.enum ?? [])).toEqual(sorted(values));
  });

  it('allows each kind exactly the actions the Change union has for it, requiring the same fields', () => {
    const kinds = def('kind').enum ?? [];
    const allowed = kinds.flatMap((kind) => ['create', 'update', 'delete'].filter((action) => schemaVariant(kind, action).allowed).map((a) => `${kind} ${a}`));
    const typed = Object.entries(variants).flatMap(([kind, actions]) => Object.keys(actions).map((action) => `${kind} ${action}`));
    expect(sorted(allowed)).toEqual(sorted(typed));
    for (const [kind, actions] of Object.entries(variants)) {
      for (const [action, keys] of Object.entries(actions)) expect(schemaVariant(kind, action).required, `${kind} ${action}`).toEqual(sorted(keys));
    }
  });

  it('accepts a plan with every Change variant, made by the real planner', () => {
    const input = emptyInput();
    input.groups.desired = [desired(group('New Team')), desired(group('Eng', { description: 'edited' }))];
    input.groups.live = [live(group('Eng'), 'g1')];
    input.groups.creatable = new Set(['new team']);
    input.flows.desired = [desired(flow('Fresh')), desired(flow('Keep', { enabled: false }))];
    input.flows.live = [live(flow('Keep'), 'f1'), live(flow('Stray'), 'f2')];
    desiredChannels(input, [desired(channel('SIEM', 'changed')), desired(channel('New Hook'))]);
    input.channels.live = [live(channel('SIEM'), 'w1')];
    input.settings.desired = desired(settings({ exposeApprovalProgress: true }), [], 'settings');
    const document = JSON.parse(renderJson(diff(input, openPolicy()))) as PlanDocument;

    const made = sorted(new Set(document.changes.map((c) => `${c.kind} ${c.action}`)));
    const typed = Object.entries(variants).flatMap(([kind, actions]) => Object.keys(actions).map((action) => `${kind} ${action}`));
    expect(made).toEqual(sorted(typed));
    const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
    expect(validate(document), JSON.stringify(validate.errors)).toBe(true);
    // The schema accepts no key a change does not declare, so the check above can fail.
    const extra = { ...document, changes: document.changes.map((c) => ({ ...c, planted: true })) };
    expect(validate(extra)).toBe(false);
  });
});
