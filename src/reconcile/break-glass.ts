// Break-glass: what stops the reconciler from applying for a while, read from the repo and judged
// at an instant the caller gives (its clock): the project's spec.suspend, its sync windows, and the
// per-object annotation that pauses drift correction. Pure functions; the run makes them visible.
import type { DesiredState } from '../config/desired.js';
import type { ProjectSpec } from '../config/kinds.generated.js';
import type { SkipReason } from '../events/cloudevent.js';
import type { ManagedKind } from '../plan/plan.js';
import { objectKey } from './drift.js';
import { insideSyncWindows, nextOpening } from './sync-window.js';

export const PAUSE_DRIFT_ANNOTATION = 'accessctl.io/pause-drift-until';

export type { SkipReason };

/** Whether this run may apply at all. */
export type ApplyGate =
  | { open: true }
  | { open: false; reason: 'suspended'; until: string; message: string }
  | { open: false; reason: 'outside-sync-window'; until: string | undefined; message: string };

export function applyGate(spec: ProjectSpec | undefined, now: number): ApplyGate {
  const suspend = spec?.suspend;
  if (suspend !== undefined) {
    const until = Date.parse(suspend.until);
    if (now < until) {
      const why = suspend.reason ? ` (${suspend.reason})` : '';
      return {
        open: false,
        reason: 'suspended',
        until: new Date(until).toISOString(),
        message: `suspended until ${new Date(until).toISOString()} by the project's spec.suspend${why}: planned and reported, nothing applied`,
      };
    }
  }
  const windows = spec?.syncWindows;
  if (!insideSyncWindows(windows, now)) {
    const next = nextOpening(windows, now);
    const until = next === undefined ? undefined : new Date(next).toISOString();
    const when = until === undefined ? 'no window opens within a week' : `the next window opens at ${until}`;
    return {
      open: false,
      reason: 'outside-sync-window',
      until,
      message: `outside the project's sync windows (${when}): planned and reported, nothing applied`,
    };
  }
  return { open: true };
}

/** Objects whose drift correction is paused at `now`, by object key, with the time the pause ends. */
export function pausedDrift(desired: DesiredState, now: number): Map<string, string> {
  const paused = new Map<string, string>();
  const look = (kind: ManagedKind, declared: { name: string; object: { metadata: { annotations?: Record<string, string | undefined> } } }): void => {
    const value = declared.object.metadata.annotations?.[PAUSE_DRIFT_ANNOTATION];
    if (value === undefined) return;
    const until = Date.parse(value);
    if (Number.isFinite(until) && now < until) paused.set(objectKey(kind, declared.name), new Date(until).toISOString());
  };
  for (const flow of desired.flows) look('ApprovalFlow', flow);
  for (const group of desired.groups) look('GroupAssignment', group);
  for (const channel of desired.channels) look('WebhookChannel', channel);
  if (desired.settings) look('AccessRequestSettings', desired.settings);
  return paused;
}
