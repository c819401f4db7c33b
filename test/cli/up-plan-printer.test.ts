// What `accessctl up` prints of each plan the reconciler makes: the first in full, once, even when
// the first run plans again after another writer's conflict; a later plan with changes as one line.
import { describe, expect, it } from 'vitest';
import { planPrinter } from '../../src/cli/up.js';
import { diff } from '../../src/plan/diff.js';
import { renderText } from '../../src/plan/render-text.js';
import { desired, emptyInput, flow, live } from '../plan/builders.js';

const nothingHeld = { reported: [], paused: [] };

function changingPlan() {
  const input = emptyInput();
  input.flows.live = [live(flow('Changed'), 'f1')];
  input.flows.desired = [desired(flow('Changed', { description: 'changed' }))];
  return diff(input);
}

describe('up: the plans it prints', () => {
  it('prints the first plan in full once; a re-plan of the same run, and each later plan with changes, as a line', () => {
    const lines: string[] = [];
    const print = planPrinter((line) => lines.push(line));
    const plan = changingPlan();
    print(plan, 1, nothingHeld);
    // Run 1 plans again after another writer's conflict, then run 2 plans.
    print(plan, 1, nothingHeld);
    print(plan, 2, nothingHeld);
    expect(lines).toEqual([
      renderText(plan, undefined, nothingHeld),
      'run 1 (planned again): Plan: 0 to create, 1 to update, 0 to delete; 0 unmanaged',
      'run 2: Plan: 0 to create, 1 to update, 0 to delete; 0 unmanaged',
    ]);
  });

  it('says nothing of a later plan without changes', () => {
    const lines: string[] = [];
    const print = planPrinter((line) => lines.push(line));
    print(changingPlan(), 1, nothingHeld);
    print(diff(emptyInput()), 2, nothingHeld);
    expect(lines).toHaveLength(1);
  });
});
