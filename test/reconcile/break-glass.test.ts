// Break-glass, judged at a given instant: spec.suspend until a time, weekly sync windows in explicit
// time zones (daylight saving time included), the per-object pause of drift correction, and the
// config checks validate makes of them. No clock is read: every instant is written out.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { emptyDesiredState, type DesiredState } from '../../src/config/desired.js';
import type { ProjectSpec, SyncWindow } from '../../src/config/kinds.generated.js';
import { loadConfig } from '../../src/config/load.js';
import { applyGate, PAUSE_DRIFT_ANNOTATION, pausedDrift } from '../../src/reconcile/break-glass.js';
import { objectKey } from '../../src/reconcile/drift.js';
import { insideSyncWindows, nextOpening, windowIsOpen } from '../../src/reconcile/sync-window.js';

const at = (iso: string): number => Date.parse(iso);
const office: SyncWindow = { days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'], start: '09:00', end: '17:00', timeZone: 'Europe/Berlin' };
const night: SyncWindow = { days: ['Sat'], start: '22:00', end: '02:00', timeZone: 'America/New_York' };

describe('sync windows', () => {
  it('opens on its days between start and end on the wall clock of its own time zone', () => {
    // Monday 2026-03-02: Berlin is UTC+1 in winter.
    expect(windowIsOpen(office, at('2026-03-02T07:59:00Z'))).toBe(false);
    expect(windowIsOpen(office, at('2026-03-02T08:00:00Z'))).toBe(true);
    expect(windowIsOpen(office, at('2026-03-02T15:59:00Z'))).toBe(true);
    expect(windowIsOpen(office, at('2026-03-02T16:00:00Z'))).toBe(false);
    // Sunday, and a Monday 08:30 in UTC that is already 09:30 in Berlin.
    expect(windowIsOpen(office, at('2026-03-01T10:00:00Z'))).toBe(false);
    expect(windowIsOpen({ ...office, timeZone: 'UTC' }, at('2026-03-02T08:30:00Z'))).toBe(false);
  });

  it('follows the zone across daylight saving time, not a fixed offset', () => {
    // Monday 2026-03-30: Berlin is UTC+2 in summer, so 09:00 there is 07:00 UTC.
    expect(windowIsOpen(office, at('2026-03-30T07:00:00Z'))).toBe(true);
    expect(windowIsOpen(office, at('2026-03-30T06:59:00Z'))).toBe(false);
    expect(windowIsOpen(office, at('2026-03-30T15:00:00Z'))).toBe(false);
  });

  it('runs a window whose end is before its start through midnight into the next day', () => {
    // Saturday 2026-03-07 22:00 in New York (UTC-5) is Sunday 03:00 UTC.
    expect(windowIsOpen(night, at('2026-03-08T02:59:00Z'))).toBe(false);
    expect(windowIsOpen(night, at('2026-03-08T03:00:00Z'))).toBe(true);
    expect(windowIsOpen(night, at('2026-03-08T06:59:00Z'))).toBe(true); // Sunday 01:59 in New York, still Saturday's window
    expect(windowIsOpen(night, at('2026-03-08T07:00:00Z'))).toBe(false);
  });

  it('means "always" with no windows, and "any of them" with several', () => {
    expect(insideSyncWindows(undefined, at('2026-03-01T10:00:00Z'))).toBe(true);
    expect(insideSyncWindows([office, night], at('2026-03-08T04:00:00Z'))).toBe(true);
    expect(insideSyncWindows([office, night], at('2026-03-01T10:00:00Z'))).toBe(false);
  });

  it('finds when the next window opens, in the zone that window is in', () => {
    // From Sunday 2026-03-01 10:00 UTC: Monday 09:00 in Berlin (08:00 UTC) comes before nothing else.
    expect(new Date(nextOpening([office], at('2026-03-01T10:00:00Z'))!).toISOString()).toBe('2026-03-02T08:00:00.000Z');
    // From Friday 17:30 Berlin: Saturday 22:00 New York (Sunday 03:00 UTC) opens before Monday in Berlin.
    expect(new Date(nextOpening([office, night], at('2026-03-06T16:30:00Z'))!).toISOString()).toBe('2026-03-08T03:00:00.000Z');
    // Across the change to summer time in Berlin (Sunday 2026-03-29).
    expect(new Date(nextOpening([office], at('2026-03-28T12:00:00Z'))!).toISOString()).toBe('2026-03-30T07:00:00.000Z');
    expect(nextOpening(undefined, at('2026-03-01T10:00:00Z'))).toBeUndefined();
  });
});

describe('applyGate', () => {
  const spec = (extra: Partial<ProjectSpec>): ProjectSpec => ({ ...extra });

  it('holds every change back while suspended, saying until when and why', () => {
    const gate = applyGate(spec({ suspend: { until: '2026-03-01T12:00:00+01:00', reason: 'INC-42' } }), at('2026-03-01T10:59:59Z'));
    expect(gate).toMatchObject({ open: false, reason: 'suspended', until: '2026-03-01T11:00:00.000Z' });
    expect(gate.open === false && gate.message).toContain('INC-42');
    expect(applyGate(spec({ suspend: { until: '2026-03-01T12:00:00+01:00' } }), at('2026-03-01T11:00:00Z'))).toEqual({ open: true });
  });

  it('holds changes back outside the sync windows, with the next opening', () => {
    expect(applyGate(spec({ syncWindows: [office] }), at('2026-03-01T10:00:00Z'))).toMatchObject({
      open: false,
      reason: 'outside-sync-window',
      until: '2026-03-02T08:00:00.000Z',
    });
    expect(applyGate(spec({ syncWindows: [office] }), at('2026-03-02T10:00:00Z'))).toEqual({ open: true });
    expect(applyGate(undefined, at('2026-03-01T10:00:00Z'))).toEqual({ open: true });
  });

  it('lets a suspension win over an open window', () => {
    expect(applyGate(spec({ syncWindows: [office], suspend: { until: '2026-03-03T00:00:00Z' } }), at('2026-03-02T10:00:00Z'))).toMatchObject({
      reason: 'suspended',
    });
  });
});

describe('pausedDrift', () => {
  function withPause(until: string): DesiredState {
    const state = emptyDesiredState();
    state.flows = [
      { name: 'GitHub Admin', object: { metadata: { name: 'GitHub Admin', annotations: { [PAUSE_DRIFT_ANNOTATION]: until } } }, source: {} },
    ] as unknown as DesiredState['flows'];
    state.settings = { name: 'settings', object: { metadata: { name: 'settings' } }, source: {} } as unknown as DesiredState['settings'];
    return state;
  }

  it('pauses an annotated object until the time it names, and no other object', () => {
    expect(pausedDrift(withPause('2026-12-01T00:00:00Z'), at('2026-11-30T23:59:59Z'))).toEqual(
      new Map([[objectKey('ApprovalFlow', 'GitHub Admin'), '2026-12-01T00:00:00.000Z']]),
    );
    expect(pausedDrift(withPause('2026-12-01T00:00:00Z'), at('2026-12-01T00:00:00Z'))).toEqual(new Map());
  });
});

describe('validate checks the break-glass settings', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  async function diagnosticsOf(files: Record<string, string>): Promise<{ code: string; message: string; line: number; path: string }[]> {
    dir = mkdtempSync(path.join(os.tmpdir(), 'accessctl-break-glass-'));
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
    return (await loadConfig(dir)).diagnostics.map(({ code, message, line, path }) => ({ code, message, line, path }));
  }

  const project = (spec: string): string => ['apiVersion: accessctl/v1', 'kind: Project', 'metadata: {name: p}', 'spec:', spec, ''].join('\n');

  it('accepts a suspension and windows in explicit time zones', async () => {
    const spec = [
      '  suspend: {until: "2026-12-01T00:00:00Z", reason: INC-42}',
      '  syncWindows:',
      '    - {days: [Mon, Fri], start: "22:00", end: "02:00", timeZone: Europe/Berlin}',
    ].join('\n');
    expect(await diagnosticsOf({ 'accessctl.yaml': project(spec) })).toEqual([]);
  });

  it('refuses a time zone Intl does not know, at its line', async () => {
    const spec = ['  syncWindows:', '    - {days: [Mon], start: "09:00", end: "17:00", timeZone: Europe/Berln}'].join('\n');
    expect(await diagnosticsOf({ 'accessctl.yaml': project(spec) })).toEqual([
      { code: 'unknown-time-zone', line: 6, path: 'spec.syncWindows[0].timeZone', message: expect.stringContaining('unknown time zone "Europe/Berln"') },
    ]);
  });

  it('refuses a window without a time zone, an empty window, and a suspension without an offset', async () => {
    const spec = [
      '  suspend: {until: "2026-12-01T00:00:00"}',
      '  syncWindows:',
      '    - {days: [Mon], start: "09:00", end: "17:00"}',
      '    - {days: [Tue], start: "09:00", end: "09:00", timeZone: UTC}',
    ].join('\n');
    const found = await diagnosticsOf({ 'accessctl.yaml': project(spec) });
    expect(found.map((d) => [d.code, d.path])).toEqual(
      expect.arrayContaining([
        ['invalid-format', 'spec.suspend.until'],
        ['missing-field', 'spec.syncWindows[0]'],
      ]),
    );
    expect(found.find((d) => d.path === 'spec.suspend.until')?.message).toContain('with its offset');
  });

  it('refuses a window that opens and closes at the same time', async () => {
    const spec = ['  syncWindows:', '    - {days: [Tue], start: "09:00", end: "09:00", timeZone: UTC}'].join('\n');
    expect(await diagnosticsOf({ 'accessctl.yaml': project(spec) })).toEqual([
      { code: 'empty-sync-window', line: 6, path: 'spec.syncWindows[0].end', message: expect.stringContaining('opens and closes at 09:00') },
    ]);
  });

  it('refuses a misspelt accessctl.io annotation, naming the one it knows', async () => {
    const flow = [
      'apiVersion: accessctl/v1',
      'kind: GroupAssignment',
      'metadata:',
      '  name: Engineering Admin',
      '  annotations: {accessctl.io/pause-drift-untill: "2026-12-01T00:00:00Z"}',
      'spec: {}',
      '',
    ].join('\n');
    const found = await diagnosticsOf({ 'group.yaml': flow });
    expect(found).toEqual([
      {
        code: 'unknown-field',
        line: 5,
        path: 'metadata.annotations["accessctl.io/pause-drift-untill"]',
        message: expect.stringContaining('accessctl.io/pause-drift-until'),
      },
    ]);
  });
});
