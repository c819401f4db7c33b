// The project's policy lints: grant groups that must be approved by hand, and the longest access a
// flow may grant. They run on every pull request through validate.
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { formatLocation } from '../errors.js';
import type { DesiredState } from './desired.js';
import { durationSeconds } from './duration.js';
import type { ApprovalFlowSpec } from './kinds.generated.js';
import { matchingPattern } from './names.js';
import type { Loose } from './salvage.js';
import { diagnosticFor, locate, type DocPath } from './source.js';
import { checkSyncWindows } from './sync-window-rules.js';

export function checkPolicy(state: DesiredState, diagnostics: Diagnostic[]): void {
  // The project's reconcile schedule is checked with its lints: both are project rules validate runs.
  checkSyncWindows(state, diagnostics);
  const project = state.project;
  const policy = project?.object.spec?.policy;
  if (!project || !policy) return;
  const manualFor = policy.manualApprovalFor ?? [];
  const max = policy.maxAccessDuration;
  const maxSeconds = max === undefined ? undefined : durationSeconds(max);
  for (const { object, source } of state.flows) {
    // A flow may be the valid parts of one that breaks its schema (salvage.ts): a lint reads only the fields that are there.
    const spec: Loose<ApprovalFlowSpec> | undefined = object.spec;
    if (spec === undefined) continue;
    const pattern = spec.grantGroup === undefined ? undefined : matchingPattern(spec.grantGroup, manualFor);
    const type = spec.approval?.type;
    if (pattern !== undefined && type !== undefined && type !== 'manual') {
      const where = formatLocation(locate(project.source, ['spec', 'policy', 'manualApprovalFor']));
      diagnostics.push(
        diagnosticFor(
          source,
          ['spec', 'approval', 'type'],
          'error',
          'policy-manual-approval',
          `grant group "${spec.grantGroup}" matches the policy pattern "${pattern}" (${where}), so approval.type must be manual`,
        ),
      );
    }
    if (maxSeconds === undefined) continue;
    const where = formatLocation(locate(project.source, ['spec', 'policy', 'maxAccessDuration']));
    if (!spec.access) {
      diagnostics.push(
        diagnosticFor(
          source,
          ['spec'],
          'error',
          'policy-max-duration',
          `this flow grants permanent access, but the project allows at most ${max} (${where}); set access.duration or access.durations`,
          'key',
        ),
      );
      continue;
    }
    const durations: { value: string; path: DocPath }[] = [];
    if (spec.access.duration !== undefined) durations.push({ value: spec.access.duration, path: ['spec', 'access', 'duration'] });
    for (const [i, value] of (spec.access.durations ?? []).entries()) durations.push({ value, path: ['spec', 'access', 'durations', i] });
    for (const { value, path } of durations) {
      const seconds = durationSeconds(value);
      if (seconds !== undefined && seconds > maxSeconds) {
        diagnostics.push(
          diagnosticFor(source, path, 'error', 'policy-max-duration', `${value} is longer than the project's maximum access duration ${max} (${where})`),
        );
      }
    }
  }
}
