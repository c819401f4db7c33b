// Semantic rules for approval flows that JSON Schema cannot say: levels that make sense for the
// approval type, durations that exclude each other, and group references the repo does not declare.
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { DesiredState } from './desired.js';
import { invisibleCharacterDiagnostic } from './identity.js';
import type { ApprovalFlowSpec, Approver, GroupAssignment } from './kinds.generated.js';
import { likelyMeant, nameKey } from './names.js';
import type { Loose } from './salvage.js';
import { diagnosticFor, type DocPath } from './source.js';

function approverIdentity(approver: Loose<Approver>): string {
  if (approver.manager) return 'manager';
  if (approver.admins) return 'admins';
  if (approver.user !== undefined) return `user:${approver.user.toLowerCase()}`;
  return `group:${nameKey(approver.group ?? '')}`;
}

function describeApprover(approver: Loose<Approver>): string {
  if (approver.manager) return "the requester's manager";
  if (approver.user !== undefined) return `user ${approver.user}`;
  if (approver.group !== undefined) return `members of group "${approver.group}"`;
  return 'administrators';
}

/**
 * The rules on each flow. A flow may be the valid parts of one that breaks its schema (salvage.ts):
 * a rule reads only the fields that are there.
 */
export function checkFlows(state: DesiredState, diagnostics: Diagnostic[]): void {
  const declaredGroups = new Set(state.groups.map((g) => nameKey(g.name)));
  for (const { object, source } of state.flows) {
    const spec: Loose<ApprovalFlowSpec> | undefined = object.spec;
    if (spec === undefined) continue;
    const approval = spec.approval ?? {};
    const groupRefs: { path: DocPath; name: string }[] = [
      ...(spec.grantGroup === undefined ? [] : [{ path: ['spec', 'grantGroup'], name: spec.grantGroup }]),
      ...(spec.visibleTo ?? []).map((name, i) => ({ path: ['spec', 'visibleTo', i], name })),
    ];
    const levels = approval.levels ?? [];
    if (approval.type === 'manual' && levels.length === 0) {
      diagnostics.push(
        diagnosticFor(
          source,
          ['spec', 'approval', 'type'],
          'error',
          'manual-without-levels',
          'manual approval needs at least one level under approval.levels, each with its approvers',
        ),
      );
    }
    if (approval.type === 'automatic' && levels.length > 0) {
      diagnostics.push(
        diagnosticFor(
          source,
          ['spec', 'approval', 'levels'],
          'error',
          'automatic-with-levels',
          'automatic approval grants every request at once, so it has no approval levels; remove approval.levels or use type: manual',
          'key',
        ),
      );
    }
    levels.forEach((level, li) => {
      const levelPath = ['spec', 'approval', 'levels', li];
      const approvers = level.approvers ?? [];
      if (approvers.length === 0) {
        diagnostics.push(diagnosticFor(source, [...levelPath, 'approvers'], 'error', 'empty-level', `approval level ${li + 1} has no approvers`));
      }
      const seen = new Set<string>();
      approvers.forEach((approver, ai) => {
        const path = [...levelPath, 'approvers', ai];
        const identity = approverIdentity(approver);
        if (seen.has(identity)) {
          diagnostics.push(
            diagnosticFor(source, path, 'error', 'duplicate-approver', `${describeApprover(approver)} is listed twice in approval level ${li + 1}`),
          );
        }
        seen.add(identity);
        if (!approver.admins && approval.nonAdminApprovers !== true) {
          diagnostics.push(
            diagnosticFor(
              source,
              path,
              'error',
              'non-admin-approver',
              `${describeApprover(approver)} may only approve when approval.nonAdminApprovers is true`,
            ),
          );
        }
        if (approver.group !== undefined) groupRefs.push({ path: [...path, 'group'], name: approver.group });
      });
    });
    if (spec.access?.duration !== undefined && spec.access.durations !== undefined) {
      diagnostics.push(
        diagnosticFor(
          source,
          ['spec', 'access', 'durations'],
          'error',
          'duration-conflict',
          'access.duration (fixed) and access.durations (requester picks) exclude each other; keep one',
          'key',
        ),
      );
    }
    for (const ref of groupRefs) {
      const invisible = invisibleCharacterDiagnostic(source, ref.path, ref.name);
      if (invisible) {
        diagnostics.push(invisible);
      } else if (!declaredGroups.has(nameKey(ref.name))) {
        // A near miss of a declared group is most likely a typo of it.
        const meant = likelyMeant(
          ref.name,
          state.groups.map((g) => g.name),
        );
        const hint = meant === undefined ? '' : `; did you mean "${meant}"?`;
        diagnostics.push(
          diagnosticFor(
            source,
            ref.path,
            'warning',
            'undeclared-group',
            `group "${ref.name}" is not declared by a GroupAssignment in this repo; plan will check that it exists on the platform${hint}`,
          ),
        );
      }
    }
  }
  for (const { object, source } of state.groups) {
    const spec: Loose<GroupAssignment['spec']> | undefined = object.spec;
    (spec?.applications ?? []).forEach((application, i) => {
      const invisible = invisibleCharacterDiagnostic(source, ['spec', 'applications', i], application);
      if (invisible) diagnostics.push(invisible);
    });
  }
}
