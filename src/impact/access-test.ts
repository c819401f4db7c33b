// AccessTest cases checked against effective access: each case gets pass, fail (with the actual
// answer beside the expected one) or error (it names a user, flow or group that does not exist,
// which must never pass silently). Pure: flows and directory come in as values.
import type { Declared } from '../config/desired.js';
import { durationSeconds } from '../config/duration.js';
import { locate } from '../config/source.js';
import type { SourceLocation } from '../errors.js';
import type { AccessTest, AccessTestCase, CanRequestCase, CannotRequestCase, DurationLimitCase, ExpectedLevel } from '../config/kinds.generated.js';
import { nameKey } from '../config/names.js';
import type { DirectoryView } from './directory.js';
import { routeFor, type EffectiveFlow } from './effective.js';
import { approvalInWords, explainFlow } from './explain.js';
import { clipName, describePeople, listNames, peopleList } from './people.js';

export type CaseStatus = 'pass' | 'fail' | 'error';

export interface CaseOutcome {
  status: CaseStatus;
  /** The expectation in words. */
  expected: string;
  /** The answer effective access gives, in words (or what is missing, for an error). */
  actual: string;
}

/** The flows a test can name, by NFC + case-folded name. */
export class FlowTable {
  private readonly byKey = new Map<string, EffectiveFlow>();
  constructor(readonly flows: readonly EffectiveFlow[]) {
    for (const flow of flows) this.byKey.set(nameKey(flow.name), flow);
  }
  get(name: string): EffectiveFlow | undefined {
    return this.byKey.get(nameKey(name));
  }
}

const isCanRequest = (c: AccessTestCase): c is CanRequestCase => 'canRequest' in c;
const isCannotRequest = (c: AccessTestCase): c is CannotRequestCase => 'cannotRequest' in c;

function expectedLevelInWords(level: ExpectedLevel): string {
  const who: string[] = [];
  if (level.users !== undefined) who.push(listNames(level.users, 10));
  if (level.group !== undefined) who.push(`any member of ${clipName(level.group)}`);
  if (level.admins === true) who.push('any administrator');
  let text = who.length > 0 ? who.join(' or ') : 'no one in particular';
  if (level.admins === false) text += ' (not administrators)';
  if (level.require !== undefined) text += ` (${level.require === 'all' ? 'all of them' : 'any one of them'})`;
  return text;
}

function expectationInWords(c: AccessTestCase): string {
  if (isCanRequest(c)) {
    let text = `${clipName(c.user)} can request ${clipName(c.canRequest)}`;
    if (c.via !== undefined) text += ` via ${clipName(c.via)}`;
    if (c.approval === 'automatic') text += ', granted at once (automatic approval)';
    else if (c.approval !== undefined) text += `, approved by ${c.approval.map((l, i) => `level ${i + 1}: ${expectedLevelInWords(l)}`).join('; then ')}`;
    if (c.maxDuration !== undefined) text += `, for at most ${c.maxDuration}`;
    return text;
  }
  if (isCannotRequest(c)) return `${clipName(c.user)} cannot request ${clipName(c.cannotRequest)}`;
  return `nobody gets ${clipName(c.nobodyGets)} for more than ${c.longerThan}`;
}

/** The case's name as written, or the sentence its fields make. */
export function caseTitle(c: AccessTestCase): string {
  return c.name ?? expectationInWords(c);
}

function error(c: AccessTestCase, actual: string): CaseOutcome {
  return { status: 'error', expected: expectationInWords(c), actual };
}

function checkCanRequest(c: CanRequestCase, flows: FlowTable, view: DirectoryView): CaseOutcome {
  const user = view.user(c.user);
  if (user === undefined) return error(c, `the directory has no user ${JSON.stringify(clipName(c.user))}`);
  const flow = flows.get(c.canRequest);
  if (flow === undefined) return error(c, `the repo has no approval flow named ${JSON.stringify(clipName(c.canRequest))}`);
  const expected = expectationInWords(c);
  const explained = explainFlow(flow, user, view);
  const who = view.label(user);
  if (!explained.canRequest) return { status: 'fail', expected, actual: `${who} cannot request ${clipName(flow.name)}: ${explained.reason ?? ''}` };
  const mismatches: string[] = [];
  if (c.via !== undefined && !explained.via.some((g) => nameKey(g) === nameKey(c.via!))) mismatches.push('via');
  if (c.approval !== undefined) {
    const route = routeFor(flow, user, view);
    if (c.approval === 'automatic') {
      if (route.type !== 'automatic') mismatches.push('approval');
    } else if (route.type === 'automatic' || explained.approval?.type !== 'manual') {
      mismatches.push('approval');
    } else {
      const levels = explained.approval.levels;
      const onlyAdmins = route.adminOnly?.reason === 'admins-only' || route.adminOnly?.reason === 'missing-manager';
      if (levels.length !== c.approval.length) mismatches.push('approval');
      for (const [i, want] of c.approval.entries()) {
        const level = route.levels[i];
        if (level === undefined) break;
        const people = new Set<number>();
        for (const handle of want.users ?? []) {
          const n = view.user(handle);
          if (n === undefined) return error(c, `the directory has no user ${JSON.stringify(clipName(handle))} (approval level ${i + 1})`);
          if (n !== user) people.add(n);
        }
        if (want.group !== undefined) {
          const group = view.group(want.group);
          if (group === undefined) return error(c, `the directory has no user group ${JSON.stringify(clipName(want.group))} (approval level ${i + 1})`);
          for (const n of group.active) if (n !== user) people.add(n);
        }
        const actual = onlyAdmins ? [] : level.people;
        const samePeople = actual.length === people.size && actual.every((n) => people.has(n));
        if (!samePeople) mismatches.push('approval');
        if (want.admins !== undefined && want.admins !== level.admins) mismatches.push('approval');
        if (want.require !== undefined && want.require !== level.require) mismatches.push('approval');
      }
    }
  }
  if (c.maxDuration !== undefined && durationSeconds(c.maxDuration) !== flow.maxSeconds) mismatches.push('maxDuration');
  const actual = `${who} can request ${clipName(flow.name)} via ${listNames(explained.via)}, ${approvalInWords(explained)}, for at most ${flow.maxDuration ?? 'ever (permanent access)'}`;
  return { status: mismatches.length === 0 ? 'pass' : 'fail', expected, actual };
}

function checkCannotRequest(c: CannotRequestCase, flows: FlowTable, view: DirectoryView): CaseOutcome {
  const user = view.user(c.user);
  if (user === undefined) return error(c, `the directory has no user ${JSON.stringify(clipName(c.user))}`);
  const flow = flows.get(c.cannotRequest);
  if (flow === undefined) return error(c, `the repo has no approval flow named ${JSON.stringify(clipName(c.cannotRequest))}`);
  const explained = explainFlow(flow, user, view);
  const who = view.label(user);
  if (!explained.canRequest)
    return { status: 'pass', expected: expectationInWords(c), actual: `${who} cannot request ${clipName(flow.name)}: ${explained.reason ?? ''}` };
  return { status: 'fail', expected: expectationInWords(c), actual: `${who} can request ${clipName(flow.name)} via ${listNames(explained.via)}` };
}

function checkDurationLimit(c: DurationLimitCase, flows: FlowTable, view: DirectoryView): CaseOutcome {
  const limit = durationSeconds(c.longerThan) ?? 0;
  const granting = flows.flows.filter((f) => nameKey(f.grantGroup) === nameKey(c.nobodyGets));
  if (granting.length === 0 && view.group(c.nobodyGets) === undefined) {
    return error(c, `no flow grants ${JSON.stringify(clipName(c.nobodyGets))} and the directory has no such group`);
  }
  const enabled = granting.filter((f) => f.enabled);
  const over = enabled.filter((f) => f.maxSeconds > limit);
  const grants = (f: EffectiveFlow): string =>
    `${clipName(f.name)} grants it ${f.maxDuration === null ? 'permanently' : `for up to ${f.maxDuration}`} (${describePeople(peopleList(view, f.requesters, 3))} can request it)`;
  if (over.length > 0)
    return {
      status: 'fail',
      expected: expectationInWords(c),
      actual: over.slice(0, 5).map(grants).join('; ') + (over.length > 5 ? `; and ${over.length - 5} more flows` : ''),
    };
  if (enabled.length === 0) return { status: 'pass', expected: expectationInWords(c), actual: `no enabled flow grants ${clipName(c.nobodyGets)}` };
  const longest = enabled.reduce((a, b) => (b.maxSeconds > a.maxSeconds ? b : a));
  return { status: 'pass', expected: expectationInWords(c), actual: `the longest is ${longest.maxDuration ?? 'permanent'}, through ${clipName(longest.name)}` };
}

export function evaluateCase(c: AccessTestCase, flows: FlowTable, view: DirectoryView): CaseOutcome {
  if (isCanRequest(c)) return checkCanRequest(c, flows, view);
  if (isCannotRequest(c)) return checkCannotRequest(c, flows, view);
  return checkDurationLimit(c, flows, view);
}

export interface CaseResult extends CaseOutcome {
  /** The AccessTest's metadata.name. */
  test: string;
  /** The case's name, or the sentence its fields make. */
  case: string;
  /** Where the case is written. */
  source: SourceLocation;
}

export interface TestReport {
  results: CaseResult[];
  passed: number;
  failed: number;
  errors: number;
  /** Cases left out by --run. */
  skipped: number;
}

/** The repo's tests run against a directory: a report, or why they could not run (the directory could not be read). */
export type TestRun = { report: TestReport } | { error: string };

/** Runs every case of every test (those whose "test/case" matches `only`, when given). */
export function runAccessTests(tests: readonly Declared<AccessTest>[], flows: FlowTable, view: DirectoryView, only?: RegExp): TestReport {
  const report: TestReport = { results: [], passed: 0, failed: 0, errors: 0, skipped: 0 };
  for (const declared of tests) {
    declared.object.spec.cases.forEach((c, index) => {
      const title = caseTitle(c);
      if (only !== undefined && !only.test(`${declared.name}/${title}`)) {
        report.skipped++;
        return;
      }
      const outcome = evaluateCase(c, flows, view);
      report.results.push({ test: declared.name, case: title, source: locate(declared.source, ['spec', 'cases', index]), ...outcome });
      if (outcome.status === 'pass') report.passed++;
      else if (outcome.status === 'fail') report.failed++;
      else report.errors++;
    });
  }
  return report;
}
