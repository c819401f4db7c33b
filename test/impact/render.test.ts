// How the access impact and the access tests are shown: grouped as widening, narrowing and
// neutral, people capped with "and N more", names escaped in text and markdown, the markdown
// section within its budget and above the field diff, and the check run's annotations and verdict.
import { describe, expect, it } from 'vitest';
import { checkOutput, testAnnotations } from '../../src/github/check.js';
import type { Outcome } from '../../src/github/outcome.js';
import type { TestReport, TestRun } from '../../src/impact/access-test.js';
import type { AccessImpact, ImpactItem } from '../../src/impact/impact.js';
import type { FlowExplanation } from '../../src/impact/explain.js';
import { renderExplanation, renderTestReport } from '../../src/impact/render.js';
import type { Plan } from '../../src/plan/plan.js';
import { emptyPlan } from '../plan/builders.js';
import { renderImpactMarkdown, renderMarkdown } from '../../src/plan/render-markdown.js';
import { renderImpactText } from '../../src/plan/render-text.js';

const source = { file: 'flows/github-admin.yaml', line: 12, column: 15 };

function item(direction: ImpactItem['direction'], message: string, extra: Partial<ImpactItem> = {}): ImpactItem {
  return { direction, code: 'requesters-added', message, cause: { field: 'visibleTo' }, source, ...extra };
}

function impact(items: ImpactItem[]): AccessImpact {
  const summary = { widening: 0, narrowing: 0, neutral: 0 };
  for (const i of items) summary[i.direction]++;
  return {
    status: 'computed',
    pendingRequests: 'not-needed',
    flows: [{ flow: 'GitHub Admin', action: 'update', grantGroup: 'GitHub Admins', items }],
    summary,
  };
}

function plan(withImpact: AccessImpact | undefined): Plan {
  return emptyPlan({
    target: 'https://console.jumpcloud.com',
    changes: [
      {
        kind: 'ApprovalFlow',
        action: 'update',
        name: 'GitHub Admin',
        id: '65a000000000000000000aa1',
        fields: [{ path: 'spec.visibleTo', before: ['Engineering Admin'], after: ['Engineering All'] }],
        before: {
          description: '',
          enabled: true,
          category: 'application',
          grantGroup: 'GitHub Admins',
          visibleTo: ['Engineering Admin'],
          approval: { type: 'automatic', nonAdminApprovers: false, levels: [] },
          access: null,
        },
        after: {
          description: '',
          enabled: true,
          category: 'application',
          grantGroup: 'GitHub Admins',
          visibleTo: ['Engineering All'],
          approval: { type: 'automatic', nonAdminApprovers: false, levels: [] },
          access: null,
        },
        source,
        liveFingerprint: 'sha256:0',
      },
    ],
    ...(withImpact === undefined ? {} : { impact: withImpact }),
  });
}

describe('the impact in text', () => {
  it('groups lines by direction, with their place and the people, capped', () => {
    const text = renderImpactText(
      impact([
        item('narrowing', '-1 person can no longer request GitHub Admin (they were in Ops)'),
        item('widening', '+12 people can now request GitHub Admin (via Engineering All)', {
          people: { count: 12, emails: ['a@example.com', 'b@example.com'] },
        }),
        item('neutral', 'GitHub Admin: durations offered PT8H, P1D → P1D', { code: 'durations' }),
      ]),
    ).join('\n');
    expect(text).toBe(
      [
        'Access impact: 1 widening, 1 narrowing, 1 neutral',
        '  Widening:',
        '    ▲ +12 people can now request GitHub Admin (via Engineering All)  (flows/github-admin.yaml:12:15)',
        '        a@example.com, b@example.com and 10 more',
        '  Narrowing:',
        '    ▼ -1 person can no longer request GitHub Admin (they were in Ops)  (flows/github-admin.yaml:12:15)',
        '  Neutral:',
        '    • GitHub Admin: durations offered PT8H, P1D → P1D  (flows/github-admin.yaml:12:15)',
        '',
      ].join('\n'),
    );
  });

  it('escapes control characters a platform name could carry', () => {
    const text = renderImpactText(
      impact([item('widening', '+1 person can now request X (via Evil\u001b[2J)', { people: { count: 1, emails: ['x\u0007@example.com'] } })]),
    ).join('\n');
    expect(text).not.toMatch(/[\u0007\u001b]/);
    expect(text).toContain('Evil\\u001b[2J');
    expect(text).toContain('x\\u0007@example.com');
  });

  it('says so when the impact is unknown, and nothing when no flow changed', () => {
    expect(
      renderImpactText({ status: 'unknown', reason: 'members 500', pendingRequests: 'unknown', flows: [], summary: { widening: 0, narrowing: 0, neutral: 0 } }),
    ).toEqual(['Access impact unknown: members 500', '']);
    expect(renderImpactText({ status: 'computed', pendingRequests: 'not-needed', flows: [], summary: { widening: 0, narrowing: 0, neutral: 0 } })).toEqual([]);
    expect(renderImpactText(undefined)).toEqual([]);
  });
});

describe('the impact in markdown', () => {
  it('is a section above the field diff, with markdown in names escaped', () => {
    const markdown = renderMarkdown(
      plan(impact([item('widening', '+1 person can now request <b>x</b> | *y* (via `G`)', { people: { count: 1, emails: ['<img>@example.com'] } })])),
    );
    const section = markdown.indexOf('#### Access impact');
    expect(section).toBeGreaterThan(0);
    expect(section).toBeLessThan(markdown.indexOf('<details>'));
    expect(markdown).toContain(
      '- +1 person can now request \\<b\\>x\\</b\\> \\| \\*y\\* \\(via \\`G\\`\\) `flows/github-admin.yaml:12:15`<br>\\<img\\>@<!-- -->example.com',
    );
  });

  it('stays within its budget, saying how many lines it left out', () => {
    const many = Array.from({ length: 2000 }, (_, i) => item('widening', `+${i} people can now request Flow ${i} (via Group ${i})`));
    const text = renderImpactMarkdown(impact(many), 6000);
    expect(text.length).toBeLessThan(6000);
    expect(text).toMatch(/\d+ more widening lines not shown\./);
    expect(renderMarkdown(plan(impact(many)), 20_000).length).toBeLessThanOrEqual(20_000);
  });
});

const report: TestReport = {
  results: [
    {
      test: 'GitHub access',
      case: 'alice can request GitHub User',
      source: { file: 'tests/github.yaml', line: 10, column: 7 },
      status: 'pass',
      expected: 'e',
      actual: 'a',
    },
    {
      test: 'GitHub access',
      case: 'bob cannot request GitHub Admin',
      source: { file: 'tests/github.yaml', line: 23, column: 7 },
      status: 'fail',
      expected: 'bob cannot request GitHub Admin',
      actual: 'bob can request GitHub Admin via Engineering Admin',
    },
    {
      test: 'GitHub access',
      case: 'nobody@example.com cannot request X',
      source: { file: 'tests/github.yaml', line: 30, column: 7 },
      status: 'error',
      expected: 'e',
      actual: 'the directory has no user "nobody@example.com"',
    },
  ],
  passed: 1,
  failed: 1,
  errors: 1,
  skipped: 0,
};

describe('the access tests', () => {
  it('print failures and errors with their place, and counts, like opa test', () => {
    expect(renderTestReport(report, false)).toBe(
      [
        'FAIL tests/github.yaml:23:7: GitHub access/bob cannot request GitHub Admin',
        '  expected: bob cannot request GitHub Admin',
        '  actual:   bob can request GitHub Admin via Engineering Admin',
        'ERROR tests/github.yaml:30:7: GitHub access/nobody@example.com cannot request X',
        '  the directory has no user "nobody@example.com"',
        '-'.repeat(80),
        'PASS: 1/3',
        'FAIL: 1/3',
        'ERROR: 1/3',
        '',
      ].join('\n'),
    );
  });

  it('become failure annotations on the case line, and fail the check run', () => {
    const tests: TestRun = { report };
    expect(testAnnotations(tests, '/repo')).toEqual([
      {
        path: 'tests/github.yaml',
        start_line: 23,
        end_line: 23,
        start_column: 7,
        end_column: 7,
        annotation_level: 'failure',
        message: 'expected: bob cannot request GitHub Admin\nactual: bob can request GitHub Admin via Engineering Admin',
        title: 'accessctl access test failed: GitHub access/bob cannot request GitHub Admin',
      },
      expect.objectContaining({ start_line: 30, title: 'accessctl access test error: GitHub access/nobody@example.com cannot request X' }),
    ]);
    const outcome: Outcome = { files: 1, objects: 1, diagnostics: [], plan: plan(undefined) };
    const failing = checkOutput(outcome, { name: 'accessctl', neutralOnChanges: false, root: '/repo', tests });
    expect(failing.conclusion).toBe('failure');
    expect(failing.title).toBe('Access tests failed: 2 of 3 cases');
    expect(failing.summary.startsWith('### accessctl test: ❌ 1/3 passed')).toBe(true);
    expect(failing.annotations.filter((a) => a.title.startsWith('accessctl access test'))).toHaveLength(2);
    const passing = checkOutput(outcome, {
      name: 'accessctl',
      neutralOnChanges: false,
      root: '/repo',
      tests: { report: { ...report, results: report.results.slice(0, 1), failed: 0, errors: 0 } },
    });
    expect(passing.conclusion).toBe('success');
    const notRun = checkOutput(outcome, { name: 'accessctl', neutralOnChanges: false, root: '/repo', tests: { error: 'GET /api/systemusers answered 503' } });
    expect(notRun.conclusion).toBe('failure');
    expect(notRun.title).toBe('Access tests not run: the directory could not be read');
  });

  it('put access-policy warnings on the line that caused them', () => {
    const warned = plan(undefined);
    warned.warnings.push({
      code: 'access-widening',
      kind: 'ApprovalFlow',
      name: 'GitHub Admin',
      source,
      message: '+8 people can now request GitHub Admin: this widens access to GitHub Admins',
    });
    const output = checkOutput({ files: 1, objects: 1, diagnostics: [], plan: warned }, { name: 'accessctl', neutralOnChanges: false, root: '/repo' });
    expect(output.annotations).toContainEqual(
      expect.objectContaining({
        path: 'flows/github-admin.yaml',
        start_line: 12,
        start_column: 15,
        annotation_level: 'warning',
        title: 'accessctl access-widening',
      }),
    );
  });
});

describe('explain', () => {
  it('escapes names from the platform', () => {
    const text = renderExplanation({ user: 'e\u001b[1m@example.com', username: 'e', active: true, from: 'file' }, [
      { flow: 'F\u0000', grantGroup: 'G', maxDuration: null, durations: null, canRequest: false, via: [], reason: 'not in \u001b[2J' },
    ]);
    expect(text).not.toMatch(/[\u0000\u001b]/);
    expect(text).toContain('  F\\u0000: not in \\u001b[2J');
  });

  const header = { user: 'heidi@example.com', username: 'heidi.sec', active: true, from: 'file' };
  const cannot = (flow: string): FlowExplanation => ({
    flow,
    grantGroup: 'G',
    maxDuration: null,
    durations: null,
    canRequest: false,
    via: [],
    reason: 'not in its groups',
  });
  const can = (flow: string): FlowExplanation => ({
    flow,
    grantGroup: 'G',
    maxDuration: 'P1D',
    durations: null,
    canRequest: true,
    via: ['V'],
    approval: { type: 'automatic' },
  });
  const summary = (explanations: FlowExplanation[]): string => renderExplanation(header, explanations).split('\n')[2]!;

  it('counts flows in plain words: no "1 of 1 flow", no "none of the 1 flow"', () => {
    expect(summary([cannot('F')])).toBe('cannot request:');
    expect(summary([can('F')])).toBe('can request:');
    expect(summary([can('F'), cannot('G')])).toBe('can request 1 of 2 flows:');
    expect(summary([cannot('F'), cannot('G')])).toBe('can request neither of the 2 flows.');
    expect(summary([cannot('F'), cannot('G'), cannot('H')])).toBe('can request none of the 3 flows.');
    expect(summary([])).toBe('the repo has no approval flows to request.');
  });
});
