// Every run result reads on the console by a mark and a colour, not by its word alone: a stopped run
// is shown as stopped (not as an unmarked, uncoloured word) on the runs list, a run's page, the
// objects page's last run, and in the rows the runs page adds live.
import { describe, expect, it } from 'vitest';
import { consoleApp } from '../../src/console/app.js';
import { ConsoleModel } from '../../src/console/model.js';
import { STYLE } from '../../src/console/pages.js';
import { RUN_MARKS, RUNS_SCRIPT } from '../../src/console/runs-script.js';
import type { RunOutcome } from '../../src/reconcile/run.js';

const loopback = { headers: { host: '127.0.0.1' } };

function outcome(result: RunOutcome['result'], message: string): RunOutcome {
  return { runId: `run-${result}`, result, applied: 1, failed: 0, drifted: 0, failures: [], skipped: [], message };
}

/** The badge the page shows for a state: its class, its mark and its word. */
function badge(state: string, mark: string): RegExp {
  return new RegExp(`<span class="state s-${state}"><span aria-hidden="true">${mark} </span>${state}</span>`);
}

describe('run results on the console', () => {
  it('shows a stopped run with its mark and class on the runs list, its own page and the objects page', async () => {
    const model = new ConsoleModel({});
    model.startNextRun();
    model.runFinished(outcome('partial', 'applied 1, failed 1'));
    model.startNextRun();
    model.runFinished(outcome('stopped', 'stopped (accessctl is shutting down): cut short: not started: create ApprovalFlow "GitHub User"'));
    const app = consoleApp(model, { token: undefined, loopbackOnly: true });
    const page = async (path: string): Promise<string> => {
      const response = await app.request(path, loopback);
      expect(response.status, path).toBe(200);
      return response.text();
    };
    const runs = await page('/runs');
    expect(runs).toMatch(badge('stopped', '■'));
    expect(runs).toMatch(badge('partial', '!'));
    expect(await page('/runs/2')).toMatch(badge('stopped', '■'));
    expect(await page('/objects')).toMatch(badge('stopped', '■'));
  });

  it('gives every run result a mark, and a colour in the stylesheet; the live rows use the same marks', () => {
    for (const [result, mark] of Object.entries(RUN_MARKS)) {
      expect(mark, result).not.toBe('');
      expect(STYLE, result).toMatch(new RegExp(`\\.s-${result}[ ,{]`));
    }
    expect(RUN_MARKS.stopped).toBe('■');
    expect(STYLE).toMatch(/\.s-stopped[^{]*\{ color: var\(--warn\); \}/);
    expect(RUNS_SCRIPT).toContain(`const marks = ${JSON.stringify(RUN_MARKS)};`);
    expect(RUNS_SCRIPT).toContain('"stopped":"■"');
  });
});
