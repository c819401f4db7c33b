// The markdown shared by comment and check: findings listed with file and line, escaped, bounded,
// and a hard cut at a line break with a note when a text would pass its limit.
import { describe, expect, it } from 'vitest';
import { fitWithin, renderOutcome, renderValidation } from '../../src/github/markdown.js';
import { error, invalid, plan, valid } from './outcomes.js';

describe('the shared markdown', () => {
  it('lists each finding with file, line and column, escaping markdown in messages', () => {
    const text = renderValidation({ files: 1, objects: 1, diagnostics: [error('a.yaml', 3, 'use `manual` or <automatic> | *not* this')] }, 10_000);
    expect(text).toContain('### accessctl validate: ❌ invalid');
    expect(text).toContain('`a.yaml:3:5` **invalid-value** use \\`manual\\` or \\<automatic\\> \\| \\*not\\* this');
  });

  it('stops listing findings at its budget and says how many were left out', () => {
    const text = renderValidation(invalid(500), 2_000);
    expect(text.length).toBeLessThanOrEqual(2_000);
    expect(text).toMatch(/\n\d+ more findings not shown; run `accessctl validate` for all of them\./);
  });

  it('cuts at a line break and ends with a note naming the limit', () => {
    const long = Array.from({ length: 100 }, (_, i) => `line ${i} ${'x'.repeat(50)}`).join('\n');
    const cut = fitWithin(long, 1_000, 'check summary');
    expect(cut.length).toBeLessThanOrEqual(1_000);
    expect(cut).toMatch(/line \d+ x+\n\n> \[!NOTE\]\n> Truncated: the check summary is limited to 1,000 characters\./);
    expect(fitWithin('short', 1_000, 'comment')).toBe('short');
  });

  it('shows why there is no plan when the platform could not be read', () => {
    const text = renderOutcome({ files: 1, objects: 1, diagnostics: [], planError: 'GET /api/v2/approvalflows answered 401: invalid key' }, 65_000, 'comment');
    expect(text).toContain('The plan could not be made: GET /api/v2/approvalflows answered 401: invalid key');
  });

  it('renders a plan with no changes: the validation, the plan heading, the no-change line and zero counts', () => {
    const text = renderOutcome(valid(plan()), 65_000, 'comment');
    expect(text).toContain('### accessctl validate: ✅ valid');
    expect(text).toContain('### accessctl plan');
    expect(text).toContain('Plan: 0 to create, 0 to update, 0 to delete; 0 unmanaged');
    expect(text).not.toMatch(/➕|✏️|🗑️/);
  });
});
