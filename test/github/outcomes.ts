// Hand-built outcomes for the GitHub tests: a valid config with a given plan, an invalid one with
// many located errors, and a plan far larger than any comment may be.
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';
import type { Outcome } from '../../src/github/outcome.js';
import type { FlowSpecModel } from '../../src/model/flow.js';
import { PLAN_FORMAT_VERSION, type Change, type FlowChange, type Plan } from '../../src/plan/plan.js';

export function plan(changes: Change[] = []): Plan {
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    target: 'http://127.0.0.1:8080',
    changes,
    unmanaged: [],
    unmanageable: [],
    unsupported: [],
    blocked: [],
    noop: { GroupAssignment: 1, ApprovalFlow: 0, AccessRequestSettings: 1, WebhookChannel: 0 },
    unknown: [],
    problems: [],
    warnings: [],
    references: { groups: {}, users: {}, applications: {}, channels: {}, channelIdEncoding: 'base64' },
    guards: { prune: {}, maxDeletions: 5, maxDeletionPercent: 25, protected: [] },
  };
}

/** A flow's spec in config terms, with the given description. */
function flowSpec(description: string): FlowSpecModel {
  return {
    description,
    enabled: true,
    category: 'application',
    grantGroup: 'GitHub Admins',
    visibleTo: ['Engineering Admin'],
    approval: { type: 'manual', nonAdminApprovers: false, levels: [{ require: 'any', approvers: [{ manager: true }] }] },
    access: { duration: 'P1D' },
  };
}

export function createFlow(name: string, description = `Access for ${name}`): FlowChange {
  return {
    kind: 'ApprovalFlow',
    action: 'create',
    name,
    fields: [],
    after: flowSpec(description),
    source: { file: 'access/flows/x.yaml', line: 4, column: 3 },
  };
}

export function deleteFlow(name: string): Change {
  return { kind: 'ApprovalFlow', action: 'delete', name, id: `id-${name}`, fields: [], before: flowSpec('old'), liveFingerprint: `sha256:${name}` };
}

export function valid(p: Plan): Outcome {
  return { files: 3, objects: 3, diagnostics: [], plan: p };
}

export function error(file: string, line: number, message: string, extra: Partial<Diagnostic> = {}): Diagnostic {
  return { file, line, column: 5, endLine: line, endColumn: 12, severity: 'error', code: 'invalid-value', message, path: 'spec.approval.type', ...extra };
}

export function invalid(count: number): Outcome {
  const diagnostics = Array.from({ length: count }, (_, i) => error(`access/flows/f${String(i).padStart(3, '0')}.yaml`, i + 1, `problem number ${i}`));
  return { files: count, objects: count, diagnostics };
}

/** A plan whose every change carries a long description: thousands of characters each. */
export function hugePlan(changes: number): Plan {
  return plan(Array.from({ length: changes }, (_, i) => createFlow(`Flow ${i}`, 'x'.repeat(2000))));
}
