// Adds the access impact to a plan: for the flows the plan changes, reads the directory they need
// (users, groups, and the members of the groups they name) and the pending requests of the live
// flows, compares effective access before and after, and applies the project's access policy and
// its guard on cancelled requests. Nothing is read when no flow changes.
import type { Declared, DesiredState } from '../config/desired.js';
import type { ApprovalFlow } from '../config/kinds.generated.js';
import { matchingPattern, nameKey } from '../config/names.js';
import { locate, type DocPath } from '../config/source.js';
import { DirectoryView } from '../impact/directory.js';
import { accessImpact, unknownImpact, type AccessImpact, type FlowPair, type ImpactCause } from '../impact/impact.js';
import { readAccessDirectory } from '../jumpcloud/access-directory.js';
import type { JumpCloudClient } from '../jumpcloud/client.js';
import { readPendingRequests, type Known, type LiveWire } from '../jumpcloud/live.js';
import type { FlowSpecModel } from '../model/flow.js';
import type { Blocked, FlowChange, Plan, PlanProblem } from '../plan/plan.js';

export const emptyImpact: AccessImpact = { status: 'computed', pendingRequests: 'not-needed', flows: [], summary: { widening: 0, narrowing: 0, neutral: 0 } };

/** Group names a flow spec uses: who may request it, and who approves it. */
function groupsOf(spec: FlowSpecModel | undefined, into: Set<string>): void {
  if (spec === undefined) return;
  for (const name of spec.visibleTo) into.add(nameKey(name));
  for (const level of spec.approval.levels) for (const approver of level.approvers) if ('group' in approver) into.add(nameKey(approver.group));
}

function pairOf(change: FlowChange, pending: Map<string, number> | undefined): FlowPair {
  switch (change.action) {
    case 'create':
      return { name: change.name, action: 'create', after: { name: change.name, spec: change.after } };
    case 'update':
      return {
        name: change.name,
        action: 'update',
        before: { name: change.renamedFrom ?? change.name, spec: change.before },
        after: { name: change.name, spec: change.after },
        ...(change.renamedFrom === undefined ? {} : { renamedFrom: change.renamedFrom }),
        ...(pending === undefined ? {} : { pending: pending.get(change.id) ?? 0 }),
      };
    case 'delete':
      return {
        name: change.name,
        action: 'delete',
        before: { name: change.name, spec: change.before },
        ...(pending === undefined ? {} : { pending: pending.get(change.id) ?? 0 }),
      };
  }
}

/** Where in a flow's file an impact item comes from. */
function pathOf(cause: ImpactCause, declared: Declared<ApprovalFlow>): DocPath {
  switch (cause.field) {
    case 'flow':
      return ['metadata', 'name'];
    case 'enabled':
      return ['spec', 'enabled'];
    case 'visibleTo': {
      const index = cause.group === undefined ? -1 : declared.object.spec.visibleTo.findIndex((g) => nameKey(g) === nameKey(cause.group!));
      return index >= 0 ? ['spec', 'visibleTo', index] : ['spec', 'visibleTo'];
    }
    case 'grantGroup':
      return ['spec', 'grantGroup'];
    case 'approval.type':
      return ['spec', 'approval', 'type'];
    case 'approval.nonAdminApprovers':
      return ['spec', 'approval', 'nonAdminApprovers'];
    case 'approval.levels':
      return cause.level === undefined ? ['spec', 'approval', 'levels'] : ['spec', 'approval', 'levels', cause.level];
    case 'access':
      return ['spec', 'access'];
  }
}

/** Puts the file:line:col of the desired config on every flow and item that has one. */
function locateImpact(impact: AccessImpact, desired: DesiredState): AccessImpact {
  const byKey = new Map(desired.flows.map((f) => [nameKey(f.name), f]));
  return {
    ...impact,
    flows: impact.flows.map((flow) => {
      const declared = flow.action === 'delete' ? undefined : byKey.get(nameKey(flow.flow));
      if (declared === undefined) return flow;
      return {
        ...flow,
        source: locate(declared.source, ['metadata', 'name']),
        items: flow.items.map((item) => {
          const path = pathOf(item.cause, declared);
          // A list or mapping starts on the line after its key: the key is the line that says it.
          const part =
            typeof path.at(-1) === 'number' || ['name', 'enabled', 'grantGroup', 'type', 'nonAdminApprovers'].includes(String(path.at(-1))) ? 'value' : 'key';
          return { ...item, source: locate(declared.source, path, part) };
        }),
      };
    }),
  };
}

interface PolicyFindings {
  warnings: PlanProblem[];
  problems: PlanProblem[];
  blocked: Blocked[];
}

type Rule = { warn?: string[]; block?: string[] } | undefined;

/** The rule's verdict for a grant group: block wins over warn. */
function verdict(rule: Rule, group: string): { level: 'block' | 'warn'; pattern: string } | undefined {
  const block = matchingPattern(group, rule?.block ?? []);
  if (block !== undefined) return { level: 'block', pattern: block };
  const warn = matchingPattern(group, rule?.warn ?? []);
  return warn === undefined ? undefined : { level: 'warn', pattern: warn };
}

function applyPolicy(plan: Plan, impact: AccessImpact, desired: DesiredState, pending: Known<Map<string, number>> | undefined): PolicyFindings {
  const findings: PolicyFindings = { warnings: [], problems: [], blocked: [] };
  const spec = desired.project?.object.spec;
  const policy = spec?.accessPolicy;
  const flowChanges = plan.changes.filter((c): c is FlowChange => c.kind === 'ApprovalFlow');
  const byKey = new Map(desired.flows.map((f) => [nameKey(f.name), f]));
  const report = (level: 'block' | 'warn', problem: PlanProblem): void => void (level === 'block' ? findings.problems : findings.warnings).push(problem);

  // Widening, from the impact: one finding per widening line, on the line that caused it.
  if (impact.status === 'computed') {
    for (const flow of impact.flows) {
      if (flow.action === 'delete') continue;
      const found = verdict(policy?.widening, flow.grantGroup);
      if (found === undefined) continue;
      for (const item of flow.items.filter((i) => i.direction === 'widening')) {
        report(found.level, {
          code: found.level === 'block' ? 'access-widening-blocked' : 'access-widening',
          kind: 'ApprovalFlow',
          name: flow.flow,
          ...(item.source === undefined ? {} : { source: item.source }),
          message: `${item.message}: this widens access to ${flow.grantGroup}, which matches the accessPolicy.widening.${found.level} pattern "${found.pattern}"`,
        });
      }
    }
  } else {
    // The directory could not be read: a flow whose group the policy covers cannot be shown safe.
    for (const change of flowChanges) {
      if (change.action === 'delete') continue;
      const found = verdict(policy?.widening, change.after.grantGroup);
      if (found === undefined) continue;
      report(found.level, {
        code: found.level === 'block' ? 'access-widening-blocked' : 'access-widening',
        kind: 'ApprovalFlow',
        name: change.name,
        source: change.source,
        message: `cannot tell whether this change widens access to ${change.after.grantGroup} (accessPolicy.widening.${found.level} pattern "${found.pattern}"): ${impact.reason ?? 'the directory could not be read'}`,
      });
    }
  }

  // Automatic approval, from the flows alone.
  for (const change of flowChanges) {
    if (change.action === 'delete' || change.after.approval.type !== 'automatic') continue;
    const became =
      change.action === 'create' || change.before.approval.type !== 'automatic' || nameKey(change.before.grantGroup) !== nameKey(change.after.grantGroup);
    if (!became) continue;
    const found = verdict(policy?.automaticApproval, change.after.grantGroup);
    if (found === undefined) continue;
    const declared = byKey.get(nameKey(change.name));
    report(found.level, {
      code: found.level === 'block' ? 'automatic-approval-blocked' : 'automatic-approval',
      kind: 'ApprovalFlow',
      name: change.name,
      source: declared === undefined ? change.source : locate(declared.source, ['spec', 'approval', 'type']),
      message: `${change.name} grants ${change.after.grantGroup} with automatic approval, which matches the accessPolicy.automaticApproval.${found.level} pattern "${found.pattern}"`,
    });
  }

  // Cancelled requests: deleting a flow cancels its pending requests.
  const deletions = flowChanges.filter((c) => c.action === 'delete');
  const max = spec?.guards?.maxCancelledRequests;
  if (deletions.length > 0 && pending !== undefined && pending.status !== 'ok') {
    const why = 'reason' in pending ? pending.reason : 'not read';
    if (max !== undefined) {
      for (const change of deletions) {
        findings.blocked.push({
          kind: 'ApprovalFlow',
          name: change.name,
          id: change.id,
          reason: `its pending access requests could not be read (${why}); guards.maxCancelledRequests needs them`,
        });
      }
    } else {
      findings.warnings.push({
        code: 'pending-requests-unknown',
        kind: 'ApprovalFlow',
        message: `could not read the pending access requests the deletions would cancel: ${why}`,
      });
    }
  } else if (deletions.length > 0 && pending?.status === 'ok' && max !== undefined) {
    const cancelled = deletions.map((c) => ({ change: c, count: pending.value.get(c.id) ?? 0 }));
    const total = cancelled.reduce((sum, c) => sum + c.count, 0);
    if (total > max) {
      for (const { change, count } of cancelled) {
        if (count === 0) continue;
        findings.blocked.push({
          kind: 'ApprovalFlow',
          name: change.name,
          id: change.id,
          reason: `deleting it cancels ${count} pending access request${count === 1 ? '' : 's'}; the plan cancels ${total} and guards.maxCancelledRequests allows ${max}`,
        });
      }
    }
  }
  if (impact.status === 'unknown') {
    findings.warnings.push({
      code: 'access-impact-unknown',
      kind: 'ApprovalFlow',
      message: `the access impact could not be computed: ${impact.reason ?? 'the directory could not be read'}`,
    });
  }
  return findings;
}

/** The plan with its access impact, and the findings of the project's access policy and guards. */
export async function withAccessImpact(plan: Plan, desired: DesiredState, live: LiveWire, client: JumpCloudClient): Promise<Plan> {
  const flowChanges = plan.changes.filter((c): c is FlowChange => c.kind === 'ApprovalFlow');
  if (flowChanges.length === 0) return { ...plan, impact: emptyImpact };
  const names = new Set<string>();
  for (const change of flowChanges) {
    groupsOf(change.action === 'create' ? undefined : change.before, names);
    groupsOf(change.action === 'delete' ? undefined : change.after, names);
  }
  const needsPending = flowChanges.some((c) => c.action !== 'create');
  const [directory, pending] = await Promise.all([
    live.groups.status === 'ok'
      ? readAccessDirectory(client, {
          groups: live.groups.value,
          // The plan read the users only when a flow names one; a directory always has some.
          ...(live.users.status === 'ok' && live.users.value.length > 0 ? { users: live.users.value } : {}),
          membersOf: (groups) => groups.filter((g) => names.has(nameKey(g.name))),
        })
      : Promise.resolve({
          status: 'unknown' as const,
          reason: `the user groups could not be read: ${'reason' in live.groups ? live.groups.reason : 'unknown'}`,
        }),
    needsPending ? readPendingRequests(client) : Promise.resolve(undefined),
  ]);
  const pendingStatus: AccessImpact['pendingRequests'] = pending === undefined ? 'not-needed' : pending.status === 'ok' ? 'read' : 'unknown';
  const counts = pending?.status === 'ok' ? pending.value : undefined;
  let impact: AccessImpact;
  if (directory.status === 'ok') {
    impact = locateImpact(
      accessImpact(
        flowChanges.map((c) => pairOf(c, counts)),
        new DirectoryView(directory.value),
        pendingStatus,
      ),
      desired,
    );
  } else {
    impact = unknownImpact(`the directory could not be read: ${'reason' in directory ? directory.reason : 'unknown'}`, pendingStatus);
  }
  const findings = applyPolicy(plan, impact, desired, pending);
  // A deletion another guard already stopped gets this reason too: one entry per object, as diff() keeps them.
  const blocked = plan.blocked.map((b) => ({ ...b }));
  for (const found of findings.blocked) {
    const existing = blocked.find((b) => b.kind === found.kind && b.id === found.id);
    if (existing) existing.reason = `${existing.reason}; ${found.reason}`;
    else blocked.push(found);
  }
  return {
    ...plan,
    impact,
    warnings: [...plan.warnings, ...findings.warnings],
    problems: [...plan.problems, ...findings.problems],
    blocked,
  };
}
