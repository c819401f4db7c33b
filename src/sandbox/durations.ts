// ISO 8601 durations as approval flows use them (P7D, PT8H, P1DT12H): validation and conversion
// to milliseconds, so a requested duration can be compared with an approved one and timed; and the
// durations a flow offers, which the API checks a request against and the console lists.
import type { StoredFlow } from './flow-model.js';

const pattern = /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

const second = 1000;
const minute = 60 * second;
const hour = 60 * minute;
const day = 24 * hour;

/** Milliseconds in a duration (a year is 365 days, a month 30), or undefined when it is not one. */
export function durationMs(value: string): number | undefined {
  const match = pattern.exec(value);
  if (match === null) return undefined;
  const [, y, mo, w, d, h, mi, s] = match.map((part) => (part === undefined ? 0 : Number(part)));
  return (y ?? 0) * 365 * day + (mo ?? 0) * 30 * day + (w ?? 0) * 7 * day + (d ?? 0) * day + (h ?? 0) * hour + (mi ?? 0) * minute + (s ?? 0) * second;
}

/** The durations a flow offers a requester: its fixed one, or its choices; none for permanent access. */
export function offeredDurations(flow: StoredFlow): string[] {
  if (!flow.timeBasedAccess) return [];
  if (flow.ttlConfig === 'TTL_CONFIG_FIXED_DURATION') return flow.fixedDuration === undefined ? [] : [flow.fixedDuration];
  return flow.multiSelectDuration ?? [];
}
