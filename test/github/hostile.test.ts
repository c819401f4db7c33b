// What reaches a pull request from hostile text: a live name with an escape sequence, a bidi
// override, an @-mention and an #issue, and a config file name that forges a workflow command. The
// comment, the check run's summary, its annotations and the access tests' section show them escaped,
// and no mention or reference GitHub would link or notify.
import { describe, expect, it } from 'vitest';
import { checkOutput, renderTestsMarkdown } from '../../src/github/check.js';
import { commentBody } from '../../src/github/comment.js';
import type { CaseResult, TestRun } from '../../src/impact/access-test.js';
import { HOSTILE_FILE, HOSTILE_NAME, hostilePlan, RAW_UNPRINTABLE } from '../plan/hostile.js';
import { error } from './outcomes.js';
import type { Outcome } from '../../src/github/outcome.js';

const options = { name: 'accessctl', neutralOnChanges: false, root: '/repo' };

/** A valid config whose plan and warnings carry the hostile name and file. */
function hostileOutcome(): Outcome {
  return { files: 1, objects: 1, diagnostics: [error(HOSTILE_FILE, 3, `the name ${HOSTILE_NAME}`, { severity: 'warning' })], plan: hostilePlan() };
}

/** The markdown GitHub would link in: everything outside fenced code, where it links nothing. */
function outsideFences(markdown: string): string {
  return markdown.replace(/```diff\n[\s\S]*?\n```/g, '');
}

function expectSafeMarkdown(markdown: string): void {
  expect(markdown).not.toMatch(RAW_UNPRINTABLE);
  expect(markdown).not.toContain(HOSTILE_FILE);
  expect(
    markdown.split('\n').some((line) => line.startsWith('::')),
    'a line GitHub Actions would read as a command',
  ).toBe(false);
  expect(outsideFences(markdown)).not.toMatch(/@octocat|#123/);
  expect(markdown).toContain('EVIL\\\\u202eRESU');
}

describe('hostile names and file names on a pull request', () => {
  it('escapes them in the comment, with no mention, reference or forged line', () => {
    const body = commentBody(hostileOutcome(), '4a5b6c7d8e9f');
    expectSafeMarkdown(body);
    // The finding's file, on its own line of the validation section, as one code span.
    expect(body).toContain('- ⚠️ `x\\u000a::warning file=INJECTED::pwned\\u000a\\u001b[31mred\\u202e.yaml:3:5` **invalid-value** the name GitHub User');
  });

  it('escapes them in the check run summary, title and annotations', () => {
    const output = checkOutput(hostileOutcome(), options);
    expectSafeMarkdown(output.summary);
    expect(output.title).not.toMatch(RAW_UNPRINTABLE);
    expect(output.annotations.length).toBeGreaterThan(0);
    for (const annotation of output.annotations) {
      for (const text of [annotation.path, annotation.title, annotation.message]) expect(text).not.toMatch(RAW_UNPRINTABLE);
      expect(annotation.path).not.toContain('\n');
    }
    expect(output.annotations[0]?.message).toContain('EVIL\\u202eRESU');
  });

  it('escapes them in the access tests section and its annotations, keeping the lines of expected and actual', () => {
    const tests: TestRun = {
      report: {
        results: [
          {
            status: 'fail',
            test: `grants @octocat #123 ${HOSTILE_NAME}`,
            case: 'can request',
            expected: 'can request',
            actual: `cannot request: ${HOSTILE_NAME}`,
            source: { file: HOSTILE_FILE, line: 7, column: 5 },
          } satisfies CaseResult,
        ],
        passed: 0,
        failed: 1,
        errors: 0,
        skipped: 0,
      },
    };
    expectSafeMarkdown(renderTestsMarkdown(tests, 10_000));
    const output = checkOutput({ files: 1, objects: 1, diagnostics: [] }, { ...options, tests });
    expectSafeMarkdown(output.summary);
    const annotation = output.annotations.at(-1);
    expect(annotation?.message.split('\n')).toHaveLength(2);
    for (const text of [annotation?.path, annotation?.title, annotation?.message]) expect(text).not.toMatch(RAW_UNPRINTABLE);
    expect(renderTestsMarkdown({ error: `no directory ${HOSTILE_NAME}` }, 10_000)).not.toMatch(/@octocat|#123|[\u202e\u001b]/u);
  });
});
