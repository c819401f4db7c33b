// Sync windows: weekly times, each in its own explicit IANA time zone, when the reconciler may
// apply. Pure functions of the windows and an instant; wall-clock times are read through Intl,
// so daylight saving time follows the zone's rules and never the machine's.
import type { SyncWindow } from '../config/kinds.generated.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

interface WallClock {
  year: number;
  month: number;
  day: number;
  /** 0 = Sunday. */
  weekday: number;
  /** Minutes since local midnight. */
  minute: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();

function formatFor(timeZone: string): Intl.DateTimeFormat {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(timeZone, format);
  }
  return format;
}

/** The wall clock in `timeZone` at `at`. */
function wallClock(at: number, timeZone: string): WallClock & { second: number } {
  const parts: Record<string, number> = {};
  for (const part of formatFor(timeZone).formatToParts(new Date(at))) if (part.type !== 'literal') parts[part.type] = Number(part.value);
  const year = parts['year'] ?? 1970;
  const month = parts['month'] ?? 1;
  const day = parts['day'] ?? 1;
  return {
    year,
    month,
    day,
    weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay(),
    minute: (parts['hour'] ?? 0) * 60 + (parts['minute'] ?? 0),
    second: parts['second'] ?? 0,
  };
}

function minutesOf(time: string): number {
  const [hours, minutes] = time.split(':').map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}

function opensOn(window: SyncWindow, weekday: number): boolean {
  return (window.days as readonly string[]).includes(DAYS[weekday] ?? '');
}

/** Whether `window` is open at `at`. A window whose end is before its start runs through midnight into the next day. */
export function windowIsOpen(window: SyncWindow, at: number): boolean {
  const clock = wallClock(at, window.timeZone);
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  if (start < end) return opensOn(window, clock.weekday) && clock.minute >= start && clock.minute < end;
  const yesterday = (clock.weekday + 6) % 7;
  return (opensOn(window, clock.weekday) && clock.minute >= start) || (opensOn(window, yesterday) && clock.minute < end);
}

/** Whether any of the windows is open at `at`; no windows at all means always. */
export function insideSyncWindows(windows: readonly SyncWindow[] | undefined, at: number): boolean {
  return windows === undefined || windows.length === 0 || windows.some((window) => windowIsOpen(window, at));
}

/** The UTC instant at which the wall clock in `timeZone` shows this date and minute (the later one in a repeated hour). */
function instantOf(year: number, month: number, day: number, minute: number, timeZone: string): number {
  const wanted = Date.UTC(year, month - 1, day, Math.floor(minute / 60), minute % 60);
  let guess = wanted;
  // The zone's offset at the guess moves the guess; two rounds settle it except across a change.
  for (let round = 0; round < 3; round++) {
    const clock = wallClock(guess, timeZone);
    const shown = Date.UTC(clock.year, clock.month - 1, clock.day, Math.floor(clock.minute / 60), clock.minute % 60, clock.second);
    const next = guess + (wanted - shown);
    if (next === guess) break;
    guess = next;
  }
  return guess;
}

/** When the next window opens after `at`, within a week and a day; undefined when none does (or there are no windows). */
export function nextOpening(windows: readonly SyncWindow[] | undefined, at: number): number | undefined {
  let best: number | undefined;
  for (const window of windows ?? []) {
    const today = wallClock(at, window.timeZone);
    const start = minutesOf(window.start);
    for (let offset = 0; offset <= 8; offset++) {
      const date = new Date(Date.UTC(today.year, today.month - 1, today.day + offset));
      if (!opensOn(window, date.getUTCDay())) continue;
      const opening = instantOf(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), start, window.timeZone);
      if (opening > at && (best === undefined || opening < best)) best = opening;
      if (opening > at) break;
    }
  }
  return best;
}
