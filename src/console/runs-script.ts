// The runs page's one piece of progressive enhancement: an EventSource on /runs/events that puts
// each run's row in the table as it starts and ends. Rows are built with textContent, never HTML.
import type { RunStatus } from './model.js';

/** A mark beside each run result's word (the page's badges and this script's rows), so it reads without colour. */
export const RUN_MARKS: Readonly<Record<RunStatus, string>> = {
  success: '✓',
  'no-op': '✓',
  running: '…',
  'plan-only': '?',
  suspended: '‖',
  'outside-sync-window': '‖',
  stopped: '■',
  conflict: '↻',
  partial: '!',
  failed: '✗',
  error: '✗',
};

export const RUNS_SCRIPT = `
(() => {
  const body = document.getElementById('runs');
  const live = document.getElementById('live');
  if (!body || !('EventSource' in window)) return;
  const base = document.body.dataset.base || '';
  const marks = ${JSON.stringify(RUN_MARKS)};
  const cell = (text, className) => {
    const td = document.createElement('td');
    if (className) td.className = className;
    td.textContent = text;
    return td;
  };
  const duration = (ms) => (ms === null ? '—' : ms < 1000 ? ms + ' ms' : (ms / 1000).toFixed(1) + ' s');
  const row = (run) => {
    const tr = document.createElement('tr');
    tr.id = 'run-' + Number(run.number);
    const link = document.createElement('a');
    link.href = base + '/runs/' + Number(run.number);
    link.textContent = '#' + Number(run.number);
    const first = document.createElement('td');
    first.append(link);
    const time = document.createElement('time');
    time.dateTime = String(run.startedAt);
    time.textContent = String(run.startedAt).replace('T', ' ').replace(/\\.\\d+Z$/, 'Z');
    const started = document.createElement('td');
    started.append(time);
    const badge = document.createElement('span');
    badge.className = 'state s-' + String(run.status).replace(/[^a-z-]/g, '');
    const mark = document.createElement('span');
    mark.setAttribute('aria-hidden', 'true');
    mark.textContent = (marks[run.status] || '') + ' ';
    badge.append(mark, String(run.status));
    const result = document.createElement('td');
    result.append(badge);
    tr.append(first, started, result, cell(duration(run.durationMs), 'num'), cell(String(run.applied), 'num'), cell(String(run.failed), 'num'),
      cell(String(run.drifted), 'num'), cell(String(run.skipped), 'num'), cell(String(run.message)));
    return tr;
  };
  const source = new EventSource(base + '/runs/events');
  source.addEventListener('open', () => {
    document.body.dataset.live = 'open';
    live.textContent = 'Live: new runs appear as they happen.';
  });
  source.addEventListener('error', () => {
    document.body.dataset.live = 'closed';
    live.textContent = 'Live updates stopped; reload the page to see new runs.';
  });
  source.addEventListener('run', (event) => {
    const run = JSON.parse(event.data);
    const fresh = row(run);
    const old = document.getElementById(fresh.id);
    if (old) old.replaceWith(fresh);
    else body.prepend(fresh);
    if (run.status !== 'running') live.textContent = 'Run #' + Number(run.number) + ' ended: ' + String(run.status) + '.';
  });
})();
`;
