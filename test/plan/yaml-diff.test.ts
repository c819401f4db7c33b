// The YAML diff under an updated object: a field added to an empty spec, or its last field removed,
// shows as that field alone (as Terraform shows it), never as `-{}` or `+{}`.
import { describe, expect, it } from 'vitest';
import { diff } from '../../src/plan/diff.js';
import { renderMarkdown } from '../../src/plan/render-markdown.js';
import { renderText } from '../../src/plan/render-text.js';
import { HUNK_GAP, yamlDiffLines } from '../../src/plan/yaml-diff.js';
import { desired, emptyInput, group, live } from './builders.js';

describe('yamlDiffLines', () => {
  it('shows a first field added to an empty spec as that field only', () => {
    expect(yamlDiffLines({}, { description: "Globex's finance team" })).toEqual(["+description: Globex's finance team"]);
  });

  it('shows the last field removed as that field only', () => {
    expect(yamlDiffLines({ description: 'old' }, {})).toEqual(['-description: old']);
  });

  it('shows an empty list the same way', () => {
    expect(yamlDiffLines([], ['a'])).toEqual(['+- a']);
    expect(yamlDiffLines(['a'], [])).toEqual(['-- a']);
  });

  it('still diffs non-empty sides line by line, with gaps', () => {
    const before = { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9 };
    expect(yamlDiffLines(before, { ...before, i: 10 }, 1)).toEqual([HUNK_GAP, ' h: 8', '-i: 9', '+i: 10']);
  });
});

describe('a group description added or removed, as the plan renders it', () => {
  function groupPlan(liveDescription: string | undefined, gitDescription: string | undefined) {
    const input = emptyInput();
    input.groups.desired = [desired(group('Finance', gitDescription === undefined ? {} : { description: gitDescription }))];
    input.groups.live = [live(group('Finance', liveDescription === undefined ? {} : { description: liveDescription }), 'g1')];
    return diff(input);
  }

  it('text and markdown show only the added description', () => {
    const plan = groupPlan(undefined, 'the finance team');
    for (const out of [renderText(plan, false), renderMarkdown(plan)]) {
      expect(out).toContain('+description: the finance team');
      expect(out).not.toContain('{}');
    }
  });

  it('text and markdown show only the removed description', () => {
    const plan = groupPlan('the finance team', undefined);
    for (const out of [renderText(plan, false), renderMarkdown(plan)]) {
      expect(out).toContain('-description: the finance team');
      expect(out).not.toContain('{}');
    }
  });
});
