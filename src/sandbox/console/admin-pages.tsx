// The administrator's pages: the Request Queue (Administrator and Others views), the approval flows
// and settings (read-only: accessctl manages them from git), Directory Insights with filters, the
// mail outbox and the webhook deliveries. Channels show names and URL templates, never a secret.
import type { FC } from 'hono/jsx';
import type { WebhookChannel } from '../channels.js';
import type { DeliveryRecord } from '../delivery.js';
import type { DirectoryEvent } from '../event-model.js';
import type { FlowView } from '../flows.js';
import type { MailMessage } from '../mail.js';
import { requestStatuses, statusLabels } from '../../protocols/request-status.js';
import type { RequestListItem } from '../request-views.js';
import type { Settings } from '../settings.js';
import { describeDuration } from './durations.js';
import { ErrorBox, Layout, Status, TableHead, when } from './layout.js';
import type { PageBase } from './user-pages.js';

/** A link to another page of a list, keeping its filters. */
function pageHref(path: string, filters: Record<string, string>, page: number): string {
  const query = new URLSearchParams(Object.entries(filters).filter(([, v]) => v !== ''));
  if (page > 0) query.set('page', String(page));
  const text = query.toString();
  return text === '' ? path : `${path}?${text}`;
}

const Pager: FC<{ path: string; filters: Record<string, string>; page: number; hasMore: boolean }> = (props) =>
  props.page === 0 && !props.hasMore ? null : (
    <nav aria-label="Pages">
      {props.page > 0 ? <a href={pageHref(props.path, props.filters, props.page - 1)}>Newer</a> : null} Page {props.page + 1}{' '}
      {props.hasMore ? <a href={pageHref(props.path, props.filters, props.page + 1)}>Older</a> : null}
    </nav>
  );

/** One filter of a list page: a labelled choice of `choices` ([value, label]), with "Any" (the value '') first when `any` is set. */
const ChoiceFilter: FC<{ id: string; name: string; label: string; choices: readonly (readonly [string, string])[]; selected: string; any?: boolean }> = (
  props,
) => (
  <div>
    <label for={props.id}>{props.label}</label>
    <select id={props.id} name={props.name}>
      {props.any ? <option value="">Any</option> : null}
      {props.choices.map(([value, label]) => (
        <option value={value} selected={value === props.selected}>
          {label}
        </option>
      ))}
    </select>
  </div>
);

/** One filter of a list page: a labelled text field named as its id. */
const TextFilter: FC<{ id: string; label: string; value: string; maxlength: number }> = (props) => (
  <div>
    <label for={props.id}>{props.label}</label>
    <input id={props.id} name={props.id} value={props.value} maxlength={props.maxlength} />
  </div>
);

/** Each choice labelled with its own value. */
const asLabels = (values: readonly string[]): [string, string][] => values.map((value) => [value, value]);

export const statusFilters: [string, string][] = [
  ['open', 'Open (Pending, Missing Data, Error)'],
  ...requestStatuses.map((s): [string, string] => [s, statusLabels[s]]),
  ['any', 'Any status'],
];

export const QueuePage: FC<PageBase & { view: string; status: string; items: Partial<RequestListItem>[]; totalCount: number; page: number }> = (props) => (
  <Layout title="Request Queue" section="admin-queue" principal={props.principal} csrfToken={props.csrfToken}>
    <nav class="views" aria-label="Queue views">
      <a
        href={pageHref('/console/admin/queue', { view: 'administrator', status: props.status }, 0)}
        aria-current={props.view === 'administrator' ? 'page' : undefined}
      >
        Administrator
      </a>
      <a href={pageHref('/console/admin/queue', { view: 'others', status: props.status }, 0)} aria-current={props.view === 'others' ? 'page' : undefined}>
        Others
      </a>
    </nav>
    <p class="muted">
      {props.view === 'administrator'
        ? 'Administrator: requests an administrator must act on (Missing Data, Error, a flow only administrators decide, or administrators named on the current level).'
        : 'Others: requests waiting on their assigned approvers. An administrator may still decide any of them.'}
    </p>
    <form class="filters" method="get" action="/console/admin/queue">
      <input type="hidden" name="view" value={props.view} />
      <ChoiceFilter id="status" name="status" label="Status" choices={statusFilters} selected={props.status} />
      <button type="submit">Filter</button>
    </form>
    <p>
      {props.view === 'administrator' ? 'Administrator' : 'Others'} view: {props.totalCount} request{props.totalCount === 1 ? '' : 's'}.
    </p>
    {props.items.length === 0 ? null : (
      <table>
        <TableHead columns={['Request', 'Requester', 'Status', 'Type', 'Duration', 'Requested']} />
        <tbody>
          {props.items.map((item) => (
            <tr>
              <td>
                <a href={`/console/requests/${item.id ?? ''}`}>{item.approvalFlowName}</a>
              </td>
              <td>
                {item.userName}
                {item.department === undefined || item.department === '' ? '' : `, ${item.department}`}
              </td>
              <td>
                <Status status={item.status ?? ''} />
              </td>
              <td>{item.approvalType}</td>
              <td>
                {describeDuration(item.approvedDuration !== undefined && item.approvedDuration !== '' ? item.approvedDuration : (item.requestedDuration ?? ''))}
              </td>
              <td>{when(item.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
    <Pager
      path="/console/admin/queue"
      filters={{ view: props.view, status: props.status }}
      page={props.page}
      hasMore={(props.page + 1) * 100 < props.totalCount}
    />
  </Layout>
);

const managedInGit = (
  <p class="note">
    <strong>Read-only.</strong> Approval flows and the Access Requests settings are managed in git by accessctl: change the YAML, review the plan (
    <code>accessctl plan</code>) and apply it (<code>accessctl apply</code>, or the reconciler). A change made here would be drift.
  </p>
);

export const FlowsAdminPage: FC<PageBase & { flows: Partial<FlowView>[] }> = (props) => (
  <Layout title="Approval flows" section="admin-flows" principal={props.principal} csrfToken={props.csrfToken}>
    {managedInGit}
    {props.flows.length === 0 ? <p>No approval flow yet: apply a config with accessctl.</p> : null}
    {props.flows.map((flow) => (
      <section aria-labelledby={`flow-${flow.id ?? ''}`}>
        <h2 id={`flow-${flow.id ?? ''}`}>{flow.name}</h2>
        <dl class="facts">
          <dt>Description</dt>
          <dd>{flow.description}</dd>
          <dt>Status</dt>
          <dd>{flow.status}</dd>
          <dt>Grants</dt>
          <dd>{(flow.resources ?? []).map((r) => r.resourceName).join(', ')}</dd>
          <dt>Visible to</dt>
          <dd>{(flow.visibleTo ?? []).map((g) => g.name).join(', ')}</dd>
          <dt>Approval</dt>
          <dd>
            {flow.approvalType === 'automated' ? 'automatic' : 'manual'}
            {flow.approvalType === 'automated' ? '' : flow.nonAdminApproval ? '; approvers who are users decide' : '; administrators only'}
          </dd>
          {flow.approvalType === 'automated' ? null : (
            <>
              <dt>Levels</dt>
              <dd>
                <ol class="plain">
                  {[...new Set((flow.approverResources ?? []).map((a) => a.resourceOrder))]
                    .sort((a, b) => a - b)
                    .map((order) => {
                      const entries = (flow.approverResources ?? []).filter((a) => a.resourceOrder === order);
                      return (
                        <li>
                          {entries.some((a) => a.requireAll) ? 'all of: ' : 'any of: '}
                          {entries.map((a) => (a.resourceName === '' ? a.resourceType : a.resourceName)).join(', ')}
                        </li>
                      );
                    })}
                </ol>
              </dd>
            </>
          )}
          <dt>Access</dt>
          <dd>
            {!flow.timeBasedAccess
              ? 'permanent'
              : flow.ttlConfig === 'TTL_CONFIG_FIXED_DURATION'
                ? describeDuration(flow.fixedDuration ?? '')
                : (flow.multiSelectDuration ?? []).map(describeDuration).join(', ')}
          </dd>
          <dt>Last changed by</dt>
          <dd>{flow.updatedBy}</dd>
        </dl>
      </section>
    ))}
  </Layout>
);

const yesNo = (value: boolean): string => (value ? 'on' : 'off');

export const SettingsPage: FC<PageBase & { settings: Settings; channels: Partial<WebhookChannel>[]; channelNames: Map<string, string> }> = (props) => (
  <Layout title="Settings" section="admin-settings" principal={props.principal} csrfToken={props.csrfToken}>
    {managedInGit}
    <h2>Access Requests</h2>
    <dl class="facts">
      <dt>Access requests</dt>
      <dd>{yesNo(props.settings.resourceRequest)}</dd>
      <dt>Approval progress shown to requesters</dt>
      <dd>{yesNo(props.settings.exposeApprovalProgress)}</dd>
      <dt>Mail to approvers</dt>
      <dd>{yesNo(props.settings.adminApprovalEmail)}</dd>
      <dt>Mail when a request is received</dt>
      <dd>{yesNo(props.settings.userRequestEmail)}</dd>
      <dt>Mail with the decision</dt>
      <dd>{yesNo(props.settings.userApprovalEmail)}</dd>
      <dt>Last changed by</dt>
      <dd>{props.settings.updatedBy}</dd>
    </dl>
    <h2>Webhook subscriptions</h2>
    {props.settings.channelEvents.length === 0 ? (
      <p>No channel receives events.</p>
    ) : (
      <ul class="plain">
        {props.settings.channelEvents.map((entry) => (
          <li>
            {props.channelNames.get(entry.channelObjectId) ?? entry.channelObjectId}: {entry.eventTypes.join(', ')}
          </li>
        ))}
      </ul>
    )}
    <h2>Notification channels</h2>
    <p class="muted">Secret values (URL placeholders, sensitive headers, signing secrets) are write-only and never shown.</p>
    <table>
      <TableHead columns={['Channel', 'URL template', 'Enabled', 'Headers', 'Signed']} />
      <tbody>
        {props.channels.map((channel) => (
          <tr>
            <td>{channel.name}</td>
            <td>
              <code>{channel.url}</code>
            </td>
            <td>{channel.enabled === true ? 'yes' : 'no'}</td>
            <td>{(channel.headers ?? []).map((h) => `${h.name}${h.sensitive ? ' (sensitive)' : ''}`).join(', ')}</td>
            <td>{channel.signingSecret === undefined ? 'no' : 'yes'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </Layout>
);

export interface InsightsFilters {
  type: string;
  initiator: string;
  resource: string;
  from: string;
  until: string;
}

function changeText(value: unknown): string {
  return value === null || value === undefined ? '∅' : typeof value === 'string' ? value : JSON.stringify(value);
}

export const InsightsPage: FC<
  PageBase & { filters: InsightsFilters; eventTypes: string[]; events: DirectoryEvent[]; page: number; hasMore: boolean; error?: string | undefined }
> = (props) => (
  <Layout title="Directory Insights" section="admin-insights" principal={props.principal} csrfToken={props.csrfToken}>
    <p class="muted">Every change the sandbox made, newest first, as POST /insights/directory/v1/events returns it.</p>
    <form class="filters" method="get" action="/console/admin/insights">
      <ChoiceFilter id="type" name="type" label="Event type" choices={asLabels(props.eventTypes)} selected={props.filters.type} any />
      <TextFilter id="initiator" label="Initiated by (email)" value={props.filters.initiator} maxlength={320} />
      <TextFilter id="resource" label="Resource name" value={props.filters.resource} maxlength={255} />
      <TextFilter id="from" label="From (UTC, e.g. 2026-03-01T09:00)" value={props.filters.from} maxlength={40} />
      <TextFilter id="until" label="Until" value={props.filters.until} maxlength={40} />
      <button type="submit">Filter</button>
    </form>
    <ErrorBox message={props.error} />
    {props.events.length === 0 ? (
      <p>No event matches.</p>
    ) : (
      <table>
        <TableHead columns={['Time', 'Event', 'Initiated by', 'Resource', 'Changes']} />
        <tbody>
          {props.events.map((event) => (
            <tr>
              <td>{when(event.timestamp)}</td>
              <td>{event.event_type}</td>
              <td>
                {event.initiated_by.email === '' ? event.initiated_by.type : event.initiated_by.email}
                <span class="muted"> ({event.initiated_by.type})</span>
              </td>
              <td>
                {event.resource.name} <span class="muted">({event.resource.type})</span>
              </td>
              <td>
                <ul class="plain">
                  {(event.changes ?? []).map((change) => (
                    <li>
                      {change.field}: {changeText(change.from)} → {changeText(change.to)}
                    </li>
                  ))}
                  {event.association === undefined ? null : (
                    <li>
                      {event.association.op} {event.association.connection.from.type} → {event.association.connection.to.type}
                    </li>
                  )}
                </ul>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
    <Pager path="/console/admin/insights" filters={{ ...props.filters }} page={props.page} hasMore={props.hasMore} />
  </Layout>
);

export const mailKinds = ['request_received', 'approval_needed', 'decision'] as const;

export const MailPage: FC<PageBase & { to: string; kind: string; messages: MailMessage[]; totalCount: number; page: number }> = (props) => (
  <Layout title="Mail outbox" section="admin-mail" principal={props.principal} csrfToken={props.csrfToken}>
    <p class="muted">The mail the lifecycle would have sent (the sandbox sends none), oldest first; the settings' email switches decide what is written.</p>
    <form class="filters" method="get" action="/console/admin/mail">
      <TextFilter id="to" label="To" value={props.to} maxlength={320} />
      <ChoiceFilter id="kind" name="kind" label="Kind" choices={asLabels(mailKinds)} selected={props.kind} any />
      <button type="submit">Filter</button>
    </form>
    <p>
      {props.totalCount} message{props.totalCount === 1 ? '' : 's'}.
    </p>
    {props.messages.map((message) => (
      <article>
        <h2>{message.subject}</h2>
        <p class="muted">
          To {message.to}, {message.kind}, {when(message.createdAt)}
          {message.requestId === undefined ? null : (
            <>
              {' '}
              · <a href={`/console/requests/${message.requestId}`}>the request</a>
            </>
          )}
        </p>
        <pre>{message.body}</pre>
      </article>
    ))}
    <Pager path="/console/admin/mail" filters={{ to: props.to, kind: props.kind }} page={props.page} hasMore={(props.page + 1) * 100 < props.totalCount} />
  </Layout>
);

/** The delivery states the deliveries page filters by. */
export const deliveryStatusFilters = ['pending', 'delivered', 'dead'] as const;

export const DeliveriesPage: FC<PageBase & { status: string; deliveries: DeliveryRecord[]; totalCount: number; channelNames: Map<string, string> }> = (
  props,
) => (
  <Layout title="Webhook deliveries" section="admin-deliveries" principal={props.principal} csrfToken={props.csrfToken}>
    <p class="muted">Each event a channel subscribes to becomes one delivery, newest first, with every attempt.</p>
    <form class="filters" method="get" action="/console/admin/deliveries">
      <ChoiceFilter id="dstatus" name="status" label="Status" choices={asLabels(deliveryStatusFilters)} selected={props.status} any />
      <button type="submit">Filter</button>
    </form>
    <p>
      {props.totalCount} deliver{props.totalCount === 1 ? 'y' : 'ies'}
      {props.deliveries.length < props.totalCount ? ` (the newest ${props.deliveries.length} shown)` : ''}.
    </p>
    {props.deliveries.length === 0 ? null : (
      <table>
        <TableHead columns={['Webhook id', 'Event', 'Channel', 'Status', 'Attempts']} />
        <tbody>
          {props.deliveries.map((d) => (
            <tr>
              <td>
                <code>{d.id}</code>
                <br />
                <span class="muted">{when(d.createdAt)}</span>
              </td>
              <td>{d.eventType}</td>
              <td>{props.channelNames.get(d.channelId) ?? d.channelId}</td>
              <td>
                {d.status}
                {d.nextAttemptAt === undefined ? '' : `, next attempt ${when(d.nextAttemptAt)}`}
              </td>
              <td>
                {d.attempts.length === 0 ? (
                  'none yet'
                ) : (
                  <ol class="plain">
                    {d.attempts.map((a) => (
                      <li>
                        {when(a.at)}: {a.result}
                        {a.statusCode === undefined ? '' : ` (HTTP ${a.statusCode})`}
                        {a.error === undefined ? '' : `: ${a.error}`}
                      </li>
                    ))}
                  </ol>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
  </Layout>
);
