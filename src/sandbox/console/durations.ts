// The durations the console offers an approver: the shorter ones they may grant instead of the
// requested one, and how a duration reads (P1D: 1 day).
import { durationMs, offeredDurations } from '../durations.js';
import type { StoredFlow } from '../flow-model.js';

const hour = 3600_000;
const day = 24 * hour;

/** Common steps an approver may shorten to, besides the flow's own choices. */
const steps = ['PT1H', 'PT4H', 'PT8H', 'P1D', 'P3D', 'P7D', 'P14D', 'P30D'];

/** What an approver may grant for a time-bound request: as requested, or shorter (longest first). */
export function shorterDurations(flow: StoredFlow, requested: string): string[] {
  const limit = durationMs(requested);
  if (!flow.timeBasedAccess || limit === undefined) return [];
  const shorter = [...new Set([...offeredDurations(flow), ...steps])].filter((d) => {
    const ms = durationMs(d);
    return ms !== undefined && ms < limit;
  });
  shorter.sort((a, b) => (durationMs(b) ?? 0) - (durationMs(a) ?? 0));
  return [requested, ...shorter];
}

/** A duration as words beside its ISO form: "P7D (7 days)". */
export function describeDuration(iso: string): string {
  if (iso === '') return 'permanent';
  const ms = durationMs(iso);
  if (ms === undefined) return iso;
  const plural = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? '' : 's'}`;
  const words = ms % day === 0 ? plural(ms / day, 'day') : ms % hour === 0 ? plural(ms / hour, 'hour') : plural(Math.round(ms / 60_000), 'minute');
  return `${iso} (${words})`;
}
