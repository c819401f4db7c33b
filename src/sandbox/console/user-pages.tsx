// The end user's and approver's pages: the flows I may request and the request form, my requests
// with their approval progress, the approvals waiting on me, and one request's page with the
// decision form for whoever may decide it now.
import type { FC } from 'hono/jsx';
import type { StoredFlow } from '../flow-model.js';
import { levelsOf } from '../flow-model.js';
import { maxRemarksLength, type StoredRequest } from '../request-model.js';
import type { ProgressEntry } from '../request-views.js';
import { offeredDurations } from '../durations.js';
import { describeDuration, shorterDurations } from './durations.js';
import { CsrfField, ErrorBox, Layout, Status, TableHead, when } from './layout.js';
import type { ConsolePrincipal } from './session.js';

export interface PageBase {
  principal: ConsolePrincipal;
  csrfToken: string;
}

/** How a flow's access lasts, in words. */
function accessTerms(flow: StoredFlow): string {
  const offered = offeredDurations(flow);
  if (offered.length === 0) return 'permanent access';
  return offered.length === 1 ? `for ${describeDuration(offered[0] ?? '')}` : `for ${offered.map(describeDuration).join(', ')}`;
}

function approvalTerms(flow: StoredFlow): string {
  if (flow.approvalType === 'automated') return 'granted at once (automatic approval)';
  const levels = levelsOf(flow).length;
  return `${levels} approval level${levels === 1 ? '' : 's'}`;
}

export const FlowsPage: FC<PageBase & { flows: StoredFlow[]; requestsOn: boolean; open: Map<string, string> }> = (props) => (
  <Layout title="Request access" section="flows" principal={props.principal} csrfToken={props.csrfToken}>
    {props.requestsOn ? null : (
      <p class="note">Access requests are turned off for this organization (the settings' resourceRequest is false): nothing can be requested now.</p>
    )}
    {props.flows.length === 0 ? (
      <p>No approval flow is open to any of your groups.</p>
    ) : (
      <table>
        <caption>Approval flows open to your groups</caption>
        <TableHead columns={['Flow', 'Description', 'Access', 'Approval', 'Your request']} />
        <tbody>
          {props.flows.map((flow) => {
            const open = props.open.get(flow.id);
            return (
              <tr>
                <td>
                  <a href={`/console/flows/${flow.id}`}>{flow.name}</a>
                </td>
                <td>{flow.description}</td>
                <td>{accessTerms(flow)}</td>
                <td>{approvalTerms(flow)}</td>
                <td>{open === undefined ? <a href={`/console/flows/${flow.id}`}>Request</a> : <a href={`/console/requests/${open}`}>Undecided request</a>}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    )}
  </Layout>
);

export const RequestFormPage: FC<PageBase & { flow: StoredFlow; error?: string | undefined; remarks?: string; duration?: string }> = (props) => {
  const durations = offeredDurations(props.flow);
  return (
    <Layout title={`Request ${props.flow.name}`} section="flows" principal={props.principal} csrfToken={props.csrfToken}>
      <p>{props.flow.description}</p>
      <p class="muted">
        {accessTerms(props.flow)}; {approvalTerms(props.flow)}.
      </p>
      <ErrorBox message={props.error} />
      <form class="stack" method="post" action={`/console/flows/${props.flow.id}/request`}>
        <CsrfField token={props.csrfToken} />
        {durations.length === 0 ? (
          <p>Access is permanent: there is no duration to choose.</p>
        ) : (
          <div>
            <label for="duration">Duration</label>
            <select id="duration" name="requestedDuration" required>
              {durations.map((d) => (
                <option value={d} selected={d === props.duration}>
                  {describeDuration(d)}
                </option>
              ))}
            </select>
          </div>
        )}
        <div>
          <label for="remarks">Reason</label>
          <textarea id="remarks" name="remarks" required maxlength={maxRemarksLength} aria-describedby="remarks-hint">
            {props.remarks ?? ''}
          </textarea>
          <span id="remarks-hint" class="muted">
            Why you need the access; up to {maxRemarksLength} characters.
          </span>
        </div>
        <div>
          <button type="submit">Submit request</button>
        </div>
      </form>
    </Layout>
  );
};

/** How far a request went, in words: "level 1 of 2", or its access once approved. */
function progressWords(request: StoredRequest, showLevels: boolean): string {
  if (request.status === 'approved') {
    const access = request.access;
    if (access === undefined) return 'approved';
    if (access.state === 'active') return access.endsAt === undefined ? 'access granted' : `access granted until ${when(access.endsAt)}`;
    return access.state === 'revoked' ? `access revoked ${when(access.endedAt)}` : `access ended ${when(access.endedAt)}`;
  }
  if (request.status === 'missing_data') return request.missing === 'manager' ? 'waiting: you have no manager' : 'waiting: a level has nobody to approve it';
  if (request.status !== 'pending' || request.approvalType === 'automated' || !showLevels) return '';
  return `at level ${request.level + 1} of ${levelsOf(request.flow).length}`;
}

export const MyRequestsPage: FC<PageBase & { requests: StoredRequest[]; showLevels: boolean; notice?: string | undefined }> = (props) => (
  <Layout title="My requests" section="requests" principal={props.principal} csrfToken={props.csrfToken}>
    {props.notice === undefined ? null : (
      <p class="note" role="status">
        {props.notice}
      </p>
    )}
    {props.requests.length === 0 ? (
      <p>
        You have made no request yet. <a href="/console/flows">Request access</a>.
      </p>
    ) : (
      <RequestTable requests={props.requests} showLevels={props.showLevels} showRequester={false} />
    )}
  </Layout>
);

export const RequestTable: FC<{ requests: StoredRequest[]; showLevels: boolean; showRequester: boolean; caption?: string }> = (props) => (
  <table>
    {props.caption === undefined ? null : <caption>{props.caption}</caption>}
    <TableHead columns={['Request', props.showRequester ? 'Requester' : undefined, 'Status', 'Progress', 'Duration', 'Requested']} />
    <tbody>
      {props.requests.map((request) => (
        <tr>
          <td>
            <a href={`/console/requests/${request.id}`}>{request.flow.name}</a>
          </td>
          {props.showRequester ? (
            <td>
              {request.requester.username} ({request.requester.email})
            </td>
          ) : null}
          <td>
            <Status status={request.status} />
          </td>
          <td>{progressWords(request, props.showLevels)}</td>
          <td>{describeDuration(request.approvedDuration ?? request.requestedDuration)}</td>
          <td>{when(request.createdAt)}</td>
        </tr>
      ))}
    </tbody>
  </table>
);

export const ApprovalsPage: FC<PageBase & { waiting: StoredRequest[]; decided: StoredRequest[] }> = (props) => (
  <Layout title="Approvals" section="approvals" principal={props.principal} csrfToken={props.csrfToken}>
    <h2>Waiting on you</h2>
    {props.waiting.length === 0 ? (
      <p>Nothing waits on you.</p>
    ) : (
      <RequestTable requests={props.waiting} showLevels={true} showRequester={true} caption="Open the request to approve or deny it" />
    )}
    <h2>Decided by you</h2>
    {props.decided.length === 0 ? <p>You have decided no request yet.</p> : <RequestTable requests={props.decided} showLevels={true} showRequester={true} />}
  </Layout>
);

export interface RequestPageProps extends PageBase {
  request: StoredRequest;
  /** The progress per approver entry; undefined when the settings hide it from the requester. */
  progress: ProgressEntry[] | undefined;
  /** Who may decide it now from this session: an approver of the current level, or an administrator. */
  decide: 'approver' | 'admin' | undefined;
  /** Names of the people the page mentions, by id. */
  people: Map<string, string>;
  error?: string | undefined;
  remarks?: string;
  notice?: string | undefined;
}

const entryStatusWords: Record<string, string> = {
  approved: 'Approved',
  denied: 'Denied',
  pending: 'Waiting for a decision',
  waiting: 'Not started (a later level)',
  skipped: 'Skipped',
  overridden: 'Decided by an administrator',
};

export const RequestPage: FC<RequestPageProps> = (props) => {
  const { request } = props;
  const section = props.principal.kind === 'admin' ? 'admin-queue' : request.requester.id === props.principal.id ? 'requests' : 'approvals';
  const durations = shorterDurations(request.flow, request.requestedDuration);
  const access = request.access;
  return (
    <Layout title={`${request.flow.name}: request by ${request.requester.username}`} section={section} principal={props.principal} csrfToken={props.csrfToken}>
      {props.notice === undefined ? null : (
        <p class="note" role="status">
          {props.notice}
        </p>
      )}
      <dl class="facts">
        <dt>Status</dt>
        <dd>
          <Status status={request.status} />
          {request.status === 'missing_data'
            ? ` (${request.missing === 'manager' ? 'the requester has no manager' : 'a level has nobody left to approve it'})`
            : ''}
          {request.status === 'error' && request.error !== undefined ? ` (${request.error})` : ''}
        </dd>
        <dt>Access</dt>
        <dd>
          {access === undefined
            ? request.status === 'approved'
              ? 'granted'
              : 'not granted'
            : access.state === 'active'
              ? `Access granted: member of ${request.groupName}${access.endsAt === undefined ? ' (permanent)' : ` until ${when(access.endsAt)}`}`
              : `${access.state === 'revoked' ? 'Revoked' : 'Ended'} ${when(access.endedAt)}`}
        </dd>
        <dt>Requester</dt>
        <dd>
          {request.requester.username} ({request.requester.email})
          {request.requester.managerName === undefined ? '' : `, manager ${request.requester.managerName}`}
        </dd>
        <dt>Flow</dt>
        <dd>
          {request.flow.name}: {request.flow.description}
        </dd>
        <dt>Grants</dt>
        <dd>membership of {request.groupName}</dd>
        <dt>Duration</dt>
        <dd>
          {describeDuration(request.requestedDuration)}
          {request.approvedDuration === undefined ? '' : `; approved for ${describeDuration(request.approvedDuration)}`}
        </dd>
        <dt>Reason</dt>
        <dd>{request.remarks}</dd>
        <dt>Requested</dt>
        <dd>{when(request.createdAt)}</dd>
        <dt>Last change</dt>
        <dd>
          {when(request.updatedAt)} by {request.updatedBy}
        </dd>
      </dl>

      <h2>Approval progress</h2>
      {request.approvalType === 'automated' ? (
        <p>This flow approves on its own: there are no approval levels.</p>
      ) : props.progress === undefined ? (
        <p class="muted">Approval progress is not shown to requesters in this organization (the settings' exposeApprovalProgress is off).</p>
      ) : (
        <>
          <table>
            <caption>Every level must pass, in order</caption>
            <TableHead columns={['Level', 'Approver', 'Needs', 'State', 'Approvals']} />
            <tbody>
              {props.progress.map((entry) => (
                <tr>
                  <td>{entry.approvalSequence}</td>
                  <td>{entry.resourceName === '' ? entry.resourceType : entry.resourceName}</td>
                  <td>{entry.requireAll ? 'all of them' : 'any one'}</td>
                  <td>{entryStatusWords[entry.approvalStatus] ?? entry.approvalStatus}</td>
                  <td>
                    {entry.approvedCount} of {entry.totalCount}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>Decisions</h2>
          {request.approvals.length === 0 && request.adminDecision === undefined ? (
            <p>No decision yet.</p>
          ) : (
            <ul class="plain">
              {request.approvals.map((a) => (
                <li>
                  Level {a.level + 1}: <strong>{a.decision === 'approved' ? 'approved' : 'denied'}</strong> by{' '}
                  {props.people.get(a.approverId) ?? a.approverEmail}, {when(a.at)}
                  {a.remarks === undefined || a.remarks === '' ? '' : `: “${a.remarks}”`}
                </li>
              ))}
              {request.adminDecision === undefined ? null : (
                <li>
                  Administrator decision: <strong>{request.adminDecision.status}</strong> by {request.adminDecision.email}, {when(request.adminDecision.at)}
                  {request.adminDecision.remarks === undefined || request.adminDecision.remarks === '' ? '' : `: “${request.adminDecision.remarks}”`}
                </li>
              )}
            </ul>
          )}
        </>
      )}

      {props.decide === undefined ? <ErrorBox message={props.error} /> : null}
      {props.decide === undefined ? null : (
        <>
          <h2>{props.decide === 'admin' ? 'Decide as administrator' : `Your decision (level ${request.level + 1})`}</h2>
          {props.decide === 'admin' ? <p class="muted">An administrator's decision overrides the levels and decides the whole request.</p> : null}
          <ErrorBox message={props.error} />
          <form class="stack" method="post" action={`/console/requests/${request.id}/decision`}>
            <CsrfField token={props.csrfToken} />
            {durations.length === 0 ? null : (
              <div>
                <label for="approvedDuration">Duration to grant (when approving)</label>
                <select id="approvedDuration" name="approvedDuration">
                  {durations.map((d, index) => (
                    <option value={index === 0 ? '' : d}>{index === 0 ? `As requested: ${describeDuration(d)}` : `Shorter: ${describeDuration(d)}`}</option>
                  ))}
                </select>
              </div>
            )}
            <div>
              <label for="decision-remarks">Remark</label>
              <textarea id="decision-remarks" name="remarks" maxlength={maxRemarksLength} aria-describedby="decision-hint">
                {props.remarks ?? ''}
              </textarea>
              <span id="decision-hint" class="muted">
                Told to the requester; optional, up to {maxRemarksLength} characters.
              </span>
            </div>
            <div>
              <button type="submit" name="status" value="approved">
                Approve
              </button>{' '}
              <button type="submit" name="status" value="denied" class="secondary">
                Deny
              </button>
            </div>
          </form>
        </>
      )}
    </Layout>
  );
};
