// The console's pages as hono JSX, rendered on the server: every value from config or the platform
// goes through JSX's escaping (no raw HTML anywhere). States are words with a mark, not only a colour;
// the CSS is inline in the layout (no build step, works offline) and follows the system's dark mode.
import { raw } from 'hono/html';
import { createContext, useContext, type Child, type FC, type PropsWithChildren } from 'hono/jsx';
import { formatLocation } from '../errors.js';
import type { FieldChange, GitAttribution } from '../events/cloudevent.js';
import type { AccessImpact } from '../impact/impact.js';
import { renderImpactText } from '../plan/render-text.js';
import type { ConsoleObject, ConsoleRun, ObjectState, RunStatus } from './model.js';
import { OBJECT_STATES } from './model.js';
import { RUN_MARKS } from './runs-script.js';

export const STYLE = `
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #ffffff; --muted: #57606a; --line: #d0d7de; --link: #0550ae; --focus: #bf5700;
  --ok: #116329; --warn: #7d4e00; --bad: #a40e26; --info: #0550ae; --soft: #f6f8fa; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1; --line: #3d444d; --link: #79c0ff; --focus: #ffa657;
  --ok: #56d364; --warn: #e3b341; --bad: #ff7b72; --info: #79c0ff; --soft: #161b22; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--link); }
a:focus-visible, summary:focus-visible, [tabindex]:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; border-radius: 2px; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: var(--bg); padding: 4px 8px; z-index: 1; }
header { display: flex; gap: 24px; align-items: baseline; padding: 12px 24px; border-bottom: 1px solid var(--line); background: var(--soft); }
header .brand { font-weight: 700; }
header nav a, header nav strong { margin-right: 16px; } header nav a[aria-current="page"] { font-weight: 700; text-decoration-thickness: 3px; }
main { padding: 16px 24px 48px; max-width: 1200px; }
h1 { font-size: 1.5rem; margin: 8px 0 16px; } h2 { font-size: 1.15rem; margin: 28px 0 8px; }
table { border-collapse: collapse; width: 100%; } caption { text-align: left; color: var(--muted); padding: 4px 0; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; background: var(--soft); }
td.value { white-space: pre-wrap; word-break: break-word; } .nowrap { white-space: nowrap; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9em; }
pre { background: var(--soft); border: 1px solid var(--line); padding: 12px; overflow: auto; white-space: pre-wrap; word-break: break-word; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; } dt { color: var(--muted); } dd { margin: 0; }
.state { display: inline-block; padding: 0 8px; border: 1px solid currentColor; border-radius: 10px; font-weight: 600; font-size: 0.85em; white-space: nowrap; }
.s-synced, .s-success, .s-no-op { color: var(--ok); } .s-changing, .s-running, .s-plan-only { color: var(--info); }
.s-drifted, .s-suspended, .s-outside-sync-window, .s-stopped, .s-conflict, .s-partial { color: var(--warn); } .s-failed, .s-error { color: var(--bad); }
.s-unmanaged, .s-unsupported { color: var(--muted); }
.filters a, a.count { margin-right: 12px; } .muted { color: var(--muted); } .num { text-align: right; font-variant-numeric: tabular-nums; }
.live { color: var(--muted); font-size: 0.9em; }
`;

/** A mark beside each state's word, so a state reads without colour and at a glance: every state has one. */
const MARKS: Readonly<Record<ObjectState | RunStatus, string>> = {
  ...RUN_MARKS,
  synced: '✓',
  changing: '→',
  drifted: '≠',
  suspended: '‖',
  failed: '✗',
  unmanaged: '○',
  unsupported: '⊘',
};

export const StateBadge: FC<{ state: ObjectState | RunStatus }> = ({ state }) => (
  <span class={`state s-${state}`}>
    <span aria-hidden="true">{MARKS[state]} </span>
    {state}
  </span>
);

/** Where this console's pages live: '' for a reconciler, /orgs/NAME for an org of a fleet. */
export const BaseContext = createContext('');

export function objectHref(o: { kind: string; name: string }, base: string): string {
  return `${base}/objects/${encodeURIComponent(o.kind)}/${encodeURIComponent(o.name)}`;
}

export function runHref(number: number, base: string): string {
  return `${base}/runs/${number}`;
}

const When: FC<{ at: string | undefined }> = ({ at }) =>
  at === undefined ? <span class="muted">—</span> : <time datetime={at}>{at.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time>;

function duration(ms: number | undefined | null): string {
  if (ms === undefined || ms === null) return '—';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function shown(value: unknown): string {
  if (value === undefined) return '—';
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

export interface LayoutProps {
  title: string;
  nonce: string;
  current: 'objects' | 'runs' | 'fleet' | 'none';
  script?: string;
  /** In a fleet's console: the org whose pages these are (none on the fleet's own page). */
  fleet?: { org: string | undefined };
}

export const Layout: FC<PropsWithChildren<LayoutProps>> = ({ title, nonce, current, script, fleet, children }) => {
  const base = useContext(BaseContext);
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>{`${title} · accessctl reconciler`}</title>
        {/* STYLE is a constant of this file, no data: JSX would escape its quotes. */}
        <style nonce={nonce}>{raw(STYLE)}</style>
      </head>
      <body data-base={base}>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header>
          <span class="brand">accessctl reconciler</span>
          <nav aria-label="Console">
            {fleet === undefined ? null : (
              <a href="/orgs" aria-current={current === 'fleet' ? 'page' : undefined}>
                Fleet
              </a>
            )}
            {fleet?.org === undefined ? null : <strong>{fleet.org}:</strong>}
            {fleet !== undefined && fleet.org === undefined ? null : (
              <>
                <a href={`${base}/objects`} aria-current={current === 'objects' ? 'page' : undefined}>
                  Objects
                </a>
                <a href={`${base}/runs`} aria-current={current === 'runs' ? 'page' : undefined}>
                  Runs
                </a>
              </>
            )}
          </nav>
          <span class="muted">read-only</span>
        </header>
        <main id="main" tabindex={-1}>
          {children}
        </main>
        {/* The script is a constant of src/console (never data), so it goes in as written. */}
        {script === undefined ? null : <script nonce={nonce}>{raw(script)}</script>}
      </body>
    </html>
  );
};

const ImpactBlock: FC<{ impact: AccessImpact | undefined; heading: string }> = ({ impact, heading }) => {
  const lines = renderImpactText(impact);
  if (lines.length === 0) return null;
  return (
    <section aria-labelledby="impact">
      <h2 id="impact">{heading}</h2>
      <pre>{lines.join('\n')}</pre>
    </section>
  );
};

const FieldTable: FC<{ fields: readonly FieldChange[]; caption: string }> = ({ fields, caption }) =>
  fields.length === 0 ? (
    <p class="muted">No field differs.</p>
  ) : (
    <table>
      <caption>{caption}</caption>
      <TableHead columns={['Field', 'Before (platform)', 'After (git)']} />
      <tbody>
        {fields.map((f) => (
          <tr>
            <td class="mono">{f.path}</td>
            <td class="mono value">{shown(f.before)}</td>
            <td class="mono value">{shown(f.after)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );

const Author: FC<{ attribution: GitAttribution | undefined }> = ({ attribution }) =>
  attribution === undefined ? (
    <span class="muted">not known (the config is not in git)</span>
  ) : (
    <span>{`${attribution.author.name} <${attribution.author.email}>`}</span>
  );

export interface ObjectsPageProps {
  objects: readonly ConsoleObject[];
  filter: ObjectState | undefined;
  latest: ConsoleRun | undefined;
  impact: AccessImpact | undefined;
}

export const ObjectsPage: FC<ObjectsPageProps> = ({ objects, filter, latest, impact }) => {
  const base = useContext(BaseContext);
  const counts = new Map<ObjectState, number>();
  for (const o of objects) counts.set(o.state, (counts.get(o.state) ?? 0) + 1);
  const listed = filter === undefined ? objects : objects.filter((o) => o.state === filter);
  return (
    <>
      <h1>Objects</h1>
      <p>
        {latest === undefined ? (
          'No run yet: the objects appear after the first plan.'
        ) : (
          <>
            Last run <a href={runHref(latest.number, base)}>{`#${latest.number}`}</a>: <StateBadge state={latest.status} />{' '}
            <When at={latest.finishedAt ?? latest.startedAt} />
          </>
        )}
      </p>
      <nav class="filters" aria-label="Filter by state">
        <a href={`${base}/objects`} aria-current={filter === undefined ? 'page' : undefined}>{`all (${objects.length})`}</a>
        {OBJECT_STATES.map((s) => (
          <a href={`${base}/objects?state=${s}`} aria-current={filter === s ? 'page' : undefined}>{`${s} (${counts.get(s) ?? 0})`}</a>
        ))}
      </nav>
      <table>
        <caption>{filter === undefined ? 'Every managed object, and live objects git does not hold' : `Objects that are ${filter}`}</caption>
        <TableHead columns={['Kind', 'Name', 'State', 'Declared in', 'Live id']} />
        <tbody>
          {listed.map((o) => (
            <tr data-key={o.key}>
              <td>{o.kind}</td>
              <td>
                <a href={objectHref(o, base)}>{o.name}</a>
              </td>
              <td>
                <StateBadge state={o.state} />
                {o.note === undefined ? null : <div class="muted">{o.note}</div>}
              </td>
              <td class="mono nowrap">{o.source === undefined ? <span class="muted">not in git</span> : formatLocation(o.source)}</td>
              <td class="mono nowrap">{o.id ?? <span class="muted">not yet known</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <ImpactBlock impact={impact} heading="Access impact of the pending changes" />
    </>
  );
};

export const ObjectPage: FC<{ object: ConsoleObject; impact: AccessImpact | undefined }> = ({ object, impact }) => {
  const base = useContext(BaseContext);
  return (
    <>
      <p>
        <a href={`${base}/objects`}>Objects</a> / {object.kind}
      </p>
      <h1>{object.name}</h1>
      <dl>
        <dt>Kind</dt>
        <dd>{object.kind}</dd>
        <dt>State</dt>
        <dd>
          <StateBadge state={object.state} /> {object.note ?? ''}
        </dd>
        <dt>Declared in</dt>
        <dd class="mono">{object.source === undefined ? 'not in git' : formatLocation(object.source)}</dd>
        <dt>Live id</dt>
        <dd class="mono">{object.id ?? 'not yet known'}</dd>
      </dl>
      <h2>Pending change</h2>
      {object.pending === undefined ? (
        <p>None: the platform matches git.</p>
      ) : (
        <>
          <p>
            {`${object.pending.action}${object.pending.drift ? ' (drift: the platform changed behind git’s back)' : ''}`}
            {object.pending.renamedFrom === undefined ? '' : `, renamed from ${object.pending.renamedFrom}`}
          </p>
          <FieldTable fields={object.pending.fields} caption="Fields the change sets" />
        </>
      )}
      <ImpactBlock impact={impact} heading="Access impact of the pending change" />
      <h2>Last change applied</h2>
      {object.lastApplied === undefined ? (
        <p class="muted">None since this reconciler started.</p>
      ) : (
        <>
          <dl>
            <dt>When</dt>
            <dd>
              <When at={object.lastApplied.at} />
            </dd>
            <dt>Run</dt>
            <dd>
              {object.lastApplied.run === undefined ? (
                <span class="mono">{object.lastApplied.runId}</span>
              ) : (
                <a href={runHref(object.lastApplied.run, base)}>{`#${object.lastApplied.run}`}</a>
              )}
            </dd>
            <dt>Action</dt>
            <dd>{object.lastApplied.action}</dd>
            <dt>Commit</dt>
            <dd class="mono">{object.lastApplied.commit ?? object.lastApplied.attribution?.commit ?? 'not in git'}</dd>
            <dt>Author</dt>
            <dd>
              <Author attribution={object.lastApplied.attribution} />
            </dd>
          </dl>
          <FieldTable fields={object.lastApplied.fields} caption="Fields it set" />
        </>
      )}
      <h2>Drift history</h2>
      {object.drift.length === 0 ? (
        <p class="muted">No drift seen since this reconciler started.</p>
      ) : (
        <table>
          <caption>Newest first</caption>
          <TableHead columns={['When', 'Run', 'Handling', 'Fields changed on the platform']} />
          <tbody>
            {object.drift.map((d) => (
              <tr>
                <td>
                  <When at={d.at} />
                </td>
                <td>{d.run === undefined ? '—' : <a href={runHref(d.run, base)}>{`#${d.run}`}</a>}</td>
                <td>{d.pausedUntil !== undefined ? `paused until ${d.pausedUntil}` : d.policy === 'correct' ? 'corrected' : 'reported only'}</td>
                <td class="mono value">{d.fields.map((f) => `${f.path}: ${shown(f.before)} → ${shown(f.after)}`).join('\n')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
};

/** One object a run acted on, as a list item: its action and kind, its name linking to its page, then `children`. */
const ObjectItem: FC<{ object: { action: string; kind: string; name: string }; children?: Child }> = ({ object, children }) => {
  const base = useContext(BaseContext);
  return (
    <li>
      {`${object.action} ${object.kind} `}
      <a href={objectHref(object, base)}>{object.name}</a>
      {children}
    </li>
  );
};

/** A table's column headings; those named in `numeric` are right-aligned, as their cells are. */
const TableHead: FC<{ columns: readonly string[]; numeric?: readonly string[] }> = ({ columns, numeric = [] }) => (
  <thead>
    <tr>
      {columns.map((column) => (
        <th scope="col" class={numeric.includes(column) ? 'num' : undefined}>
          {column}
        </th>
      ))}
    </tr>
  </thead>
);

export const RunRow: FC<{ run: ConsoleRun }> = ({ run }) => {
  const base = useContext(BaseContext);
  return (
    <tr id={`run-${run.number}`}>
      <td>
        <a href={runHref(run.number, base)}>{`#${run.number}`}</a>
      </td>
      <td>
        <When at={run.startedAt} />
      </td>
      <td>
        <StateBadge state={run.status} />
      </td>
      <td class="num">{duration(run.durationMs)}</td>
      <td class="num">{run.applied}</td>
      <td class="num">{run.failed}</td>
      <td class="num">{run.drifted}</td>
      <td class="num">{run.skipped}</td>
      <td>{run.message}</td>
    </tr>
  );
};

export const RunsPage: FC<{ runs: readonly ConsoleRun[]; kept: number }> = ({ runs, kept }) => (
  <>
    <h1>Runs</h1>
    <p class="live" id="live" aria-live="polite">
      {`The last ${kept} runs, newest first. Reload for new runs (with JavaScript, they appear as they happen).`}
    </p>
    <table>
      <caption>Each run: its result, how long it took, and what it did</caption>
      <TableHead
        columns={['Run', 'Started', 'Result', 'Duration', 'Applied', 'Failed', 'Drifted', 'Skipped', 'Summary']}
        numeric={['Duration', 'Applied', 'Failed', 'Drifted', 'Skipped']}
      />
      <tbody id="runs">
        {runs.map((run) => (
          <RunRow run={run} />
        ))}
      </tbody>
    </table>
  </>
);

export const RunPage: FC<{ run: ConsoleRun }> = ({ run }) => {
  const base = useContext(BaseContext);
  return (
    <>
      <p>
        <a href={`${base}/runs`}>Runs</a>
      </p>
      <h1>{`Run #${run.number}`}</h1>
      <dl>
        <dt>Result</dt>
        <dd>
          <StateBadge state={run.status} />
        </dd>
        <dt>Run id</dt>
        <dd class="mono">{run.runId ?? '—'}</dd>
        <dt>Started</dt>
        <dd>
          <When at={run.startedAt} />
        </dd>
        <dt>Duration</dt>
        <dd>{duration(run.durationMs)}</dd>
        <dt>Commit</dt>
        <dd class="mono">{run.commit ?? 'not in git'}</dd>
        <dt>Counts</dt>
        <dd>{`applied ${run.applied}, failed ${run.failed}, drifted ${run.drifted}, skipped ${run.skipped}`}</dd>
        <dt>Summary</dt>
        <dd>{run.message}</dd>
      </dl>
      {run.failures.length === 0 ? null : (
        <>
          <h2>Failures</h2>
          <ul>
            {run.failures.map((f) => (
              <ObjectItem object={f}>{`: ${f.reason}`}</ObjectItem>
            ))}
          </ul>
        </>
      )}
      {run.conflicts.length === 0 ? null : (
        <>
          <h2>Conflicts</h2>
          <p class="muted">Not written: another writer changed them since the plan. Not failures; the next run plans them again.</p>
          <ul>
            {run.conflicts.map((f) => (
              <ObjectItem object={f}>{`: ${f.reason}`}</ObjectItem>
            ))}
          </ul>
        </>
      )}
      {run.held.length === 0 ? null : (
        <>
          <h2>Held back</h2>
          <ul>
            {run.held.map((h) => (
              <ObjectItem object={h}>{`: ${h.reason}${h.until ? ` until ${h.until}` : ''}`}</ObjectItem>
            ))}
          </ul>
        </>
      )}
      <h2>Changes in the plan</h2>
      {run.changes.length === 0 ? (
        <p class="muted">{run.planText === undefined ? 'No plan was made.' : 'None: the platform matched git.'}</p>
      ) : (
        <ul>
          {run.changes.map((c) => (
            <ObjectItem object={c}>
              {c.fields.length === 0 ? null : <span class="mono muted">{` (${c.fields.map((f) => f.path).join(', ')})`}</span>}
            </ObjectItem>
          ))}
          {run.changesNotListed > 0 ? <li>{`… and ${run.changesNotListed} more`}</li> : null}
        </ul>
      )}
      <ImpactBlock impact={run.impact} heading="Access impact of this plan" />
      {run.planText === undefined ? null : (
        <details>
          <summary>The plan as `accessctl plan` prints it</summary>
          <pre>{run.planText}</pre>
        </details>
      )}
    </>
  );
};

export const Message: FC<{ heading: string; children?: Child }> = ({ heading, children }) => (
  <>
    <h1>{heading}</h1>
    <p>{children}</p>
  </>
);

export interface OrgRow {
  org: string;
  objects: readonly ConsoleObject[];
  latest: ConsoleRun | undefined;
}

/** A fleet's console: one row per org, linking to the org's own pages. */
export const FleetPage: FC<{ fleet: string; orgs: readonly OrgRow[] }> = ({ fleet, orgs }) => (
  <>
    <h1>{`Fleet ${fleet}`}</h1>
    <table>
      <caption>Each org this runner reconciles: its last run and its objects by state</caption>
      <TableHead columns={['Org', 'Last run', 'Finished', 'Objects']} />
      <tbody>
        {orgs.map((row) => {
          const base = orgBase(row.org);
          const counts = OBJECT_STATES.map((state) => [state, row.objects.filter((o) => o.state === state).length] as const).filter(([, n]) => n > 0);
          return (
            <tr data-org={row.org}>
              <td>
                <a href={`${base}/objects`}>{row.org}</a>
              </td>
              <td>
                {row.latest === undefined ? (
                  <span class="muted">no run yet</span>
                ) : (
                  <>
                    <a href={runHref(row.latest.number, base)}>{`#${row.latest.number}`}</a> <StateBadge state={row.latest.status} />
                  </>
                )}
              </td>
              <td>
                <When at={row.latest?.finishedAt} />
              </td>
              <td>
                {counts.length === 0 ? (
                  <span class="muted">none known yet</span>
                ) : (
                  counts.map(([state, n]) => (
                    <a href={`${base}/objects?state=${state}`} class="count">
                      {`${n} ${state}`}
                    </a>
                  ))
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  </>
);

/** Where an org's pages live in a fleet's console. */
export function orgBase(org: string): string {
  return `/orgs/${encodeURIComponent(org)}`;
}
