// The console's page frame: one inline stylesheet (light and dark, following the system), the
// header with who is signed in, the navigation for their role, and small shared pieces (the CSRF
// field, status labels, error boxes). Every value goes through hono's JSX, which escapes it.
import { createHash } from 'node:crypto';
import type { Child, FC } from 'hono/jsx';
import { statusLabel } from '../../protocols/request-status.js';
import type { ConsolePrincipal } from './session.js';

// No quotes, ampersands or angle brackets: the text is the same escaped or not, so its hash holds.
const css = `
:root { color-scheme: light dark; --bg: #ffffff; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --panel: #f6f8fa; --accent: #0b5cad; --bad: #a40e26; --good: #116329; --warn: #7d4e00; }
@media (prefers-color-scheme: dark) { :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9da7b3; --line: #3d444d; --panel: #161b22; --accent: #6cb6ff; --bad: #ff8182; --good: #56d364; --warn: #e3b341; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 15px/1.5 system-ui, sans-serif; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, select:focus-visible, input:focus-visible, textarea:focus-visible, summary:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 1rem; top: 1rem; background: var(--bg); padding: .5rem; z-index: 1; }
header { border-bottom: 1px solid var(--line); background: var(--panel); padding: .75rem 1.25rem; display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: center; }
header .brand { font-weight: 700; margin-right: auto; }
header form { display: inline; }
nav.site ul { list-style: none; margin: 0; padding: 0 1.25rem; display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; border-bottom: 1px solid var(--line); }
nav.site a { display: inline-block; padding: .6rem 0; text-decoration: none; }
nav a[aria-current=page] { font-weight: 700; text-decoration: underline; text-underline-offset: 6px; text-decoration-thickness: 3px; }
main { padding: 1rem 1.25rem 3rem; max-width: 72rem; }
h1 { font-size: 1.5rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { text-align: left; vertical-align: top; padding: .4rem .6rem; border-bottom: 1px solid var(--line); }
th { font-weight: 600; }
caption { text-align: left; color: var(--muted); padding-bottom: .25rem; }
.note { border: 1px solid var(--line); border-left-width: 6px; background: var(--panel); padding: .6rem .9rem; margin: .75rem 0; }
.error { border: 2px solid var(--bad); padding: .6rem .9rem; margin: .75rem 0; }
.error strong { color: var(--bad); }
.muted { color: var(--muted); }
.status { font-weight: 600; white-space: nowrap; }
.status-approved { color: var(--good); }
.status-denied, .status-error, .status-expired, .status-canceled { color: var(--bad); }
.status-pending, .status-missing_data { color: var(--warn); }
form.stack { display: grid; gap: .75rem; max-width: 36rem; }
label { font-weight: 600; display: block; }
input, select, textarea, button { font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--line); border-radius: 4px; padding: .35rem .5rem; }
textarea { width: 100%; min-height: 6rem; }
button { background: var(--accent); color: var(--bg); border-color: var(--accent); cursor: pointer; padding: .4rem .9rem; }
button.secondary { background: var(--bg); color: var(--accent); }
.filters { display: flex; flex-wrap: wrap; gap: .75rem; align-items: end; margin: .5rem 0 1rem; }
pre { white-space: pre-wrap; background: var(--panel); border: 1px solid var(--line); padding: .5rem; margin: .25rem 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
ul.plain { padding-left: 1.1rem; margin: .25rem 0; }
nav.views { display: flex; gap: 1.5rem; margin: 0 0 .5rem; font-size: 1.05rem; }
`;

/** The Content-Security-Policy of every page: no script at all, this stylesheet only, forms to this origin. */
export const contentSecurityPolicy = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(css).digest('base64')}'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;

export type Section =
  | 'sign-in'
  | 'flows'
  | 'requests'
  | 'approvals'
  | 'admin-queue'
  | 'admin-flows'
  | 'admin-settings'
  | 'admin-insights'
  | 'admin-mail'
  | 'admin-deliveries';

const userNav: [Section, string, string][] = [
  ['flows', '/console/flows', 'Request access'],
  ['requests', '/console/requests', 'My requests'],
  ['approvals', '/console/approvals', 'Approvals'],
];

const adminNav: [Section, string, string][] = [
  ['admin-queue', '/console/admin/queue', 'Request Queue'],
  ['admin-flows', '/console/admin/flows', 'Approval flows'],
  ['admin-settings', '/console/admin/settings', 'Settings'],
  ['admin-insights', '/console/admin/insights', 'Directory Insights'],
  ['admin-mail', '/console/admin/mail', 'Mail outbox'],
  ['admin-deliveries', '/console/admin/deliveries', 'Webhook deliveries'],
];

/** The hidden field every form carries: the session's CSRF token. */
export const CsrfField: FC<{ token: string }> = ({ token }) => <input type="hidden" name="_csrf" value={token} />;

export const Layout: FC<{ title: string; section: Section; principal: ConsolePrincipal | undefined; csrfToken: string; children?: Child }> = (props) => {
  const nav = props.principal === undefined ? [] : props.principal.kind === 'admin' ? adminNav : userNav;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>{`${props.title} · accessctl sandbox console`}</title>
        <style>{css}</style>
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header>
          <span class="brand">accessctl sandbox console</span>
          {props.principal === undefined ? (
            <span>Not signed in</span>
          ) : (
            <>
              <span>
                Signed in as <strong>{props.principal.name}</strong> ({props.principal.email}), {props.principal.kind === 'admin' ? 'administrator' : 'user'}
              </span>
              <a href="/console/">Switch user</a>
              <form method="post" action="/console/sign-out">
                <CsrfField token={props.csrfToken} />
                <button type="submit" class="secondary">
                  Sign out
                </button>
              </form>
            </>
          )}
        </header>
        {nav.length === 0 ? null : (
          <nav class="site" aria-label="Console">
            <ul>
              {nav.map(([section, href, label]) => (
                <li>
                  <a href={href} aria-current={section === props.section ? 'page' : undefined}>
                    {label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        <main id="main">
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  );
};

/** A status as its word (never colour alone): the console's label, e.g. Missing Data. */
/** A table's column headings; an undefined column is one this table leaves out. */
export const TableHead: FC<{ columns: readonly (string | undefined)[] }> = ({ columns }) => (
  <thead>
    <tr>
      {columns
        .filter((column) => column !== undefined)
        .map((column) => (
          <th scope="col">{column}</th>
        ))}
    </tr>
  </thead>
);

export const Status: FC<{ status: string }> = ({ status }) => <span class={`status status-${status}`}>{statusLabel(status)}</span>;

export const ErrorBox: FC<{ message: string | undefined }> = ({ message }) =>
  message === undefined ? null : (
    <div class="error" role="alert">
      <strong>Not done:</strong> {message}
    </div>
  );

/** An ISO time as the page shows it: to the minute, in UTC, said so. */
export function when(iso: string | undefined): string {
  if (iso === undefined || iso === '') return '';
  return `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}
