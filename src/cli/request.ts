// `accessctl request submit|list|show|approve|deny`: end-user and approver actions on access requests.
// Thin: --as acts for a user through the sandbox's act-as header (admin keys only); list shows the
// console's Request Queue; refusals are printed in the CLI's terms (--as, the concrete path), details included.
import { Command } from 'commander';
import { Agent, type Dispatcher } from 'undici';
import { closestName } from '../config/names.js';
import { usageError } from '../errors.js';
import { clientOptionsFromEnv, JumpCloudClient } from '../jumpcloud/client.js';
import { listAll as listEvery } from '../jumpcloud/paginate.js';
import { PlatformError } from '../jumpcloud/platform-error.js';
import { routes } from '../jumpcloud/routes.js';
import { printable } from '../plan/printable.js';
import { isRequestStatus, requestStatuses, statusLabel } from '../protocols/request-status.js';
import { clientOverrides, withTargetOptions, type TargetFlags } from './target-options.js';

const actAsHeader = 'x-sandbox-act-as';

// Protobuf JSON (the strict profile, and JumpCloud) leaves a field out where it holds its zero
// value, so every field but the id may be missing.
interface RequestView {
  id: string;
  status?: string;
  approvalFlowName?: string;
  approvalType?: string;
  group?: string;
  userName?: string;
  requestedDuration?: string;
  approvedDuration?: string;
  createdAt?: string;
  updatedAt?: string;
  remarks?: string;
  approvers?: { approvalSequence?: string; approvalStatus?: string; resourceName?: string }[];
}

const approvalTypes = ['manual', 'automated'] as const;
/** The Request Queue's views: Administrator (requests an administrator must act on) and Others (assigned approvers'). */
const views = ['administrator', 'others', 'all'] as const;
/** The list pages by this many, the most the API returns at once. */
const pageSize = 100;

/** A --status value: a wire status or the console's label, in any case; "any" for every status. */
function readStatus(value: string): string | undefined {
  const key = value
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  if (key === 'any') return undefined;
  if (isRequestStatus(key)) return key;
  throw usageError(`--status must be one of ${requestStatuses.join(', ')} or any (got "${value}")`, '--status');
}

function oneOf<T extends string>(value: string, allowed: readonly T[], flag: string): T {
  const found = allowed.find((a) => a === value.trim().toLowerCase());
  if (found === undefined) throw usageError(`${flag} must be one of ${allowed.join(', ')} (got "${value}")`, flag);
  return found;
}

/** A dispatcher that sends x-sandbox-act-as on every request. */
function actingDispatcher(login: string): Dispatcher {
  return new Agent().compose((dispatch) => (options, handler) => {
    const headers = { ...(options.headers as Record<string, string> | undefined), [actAsHeader]: login };
    return dispatch({ ...options, headers }, handler);
  });
}

/**
 * A refusal in the CLI's words: the sandbox names its wire header (x-sandbox-act-as) where the
 * user typed --as, so "x-sandbox-act-as needs an administrator key" becomes "--as needs an administrator key".
 */
function inFlagTerms(error: PlatformError): PlatformError {
  if (!error.reason.toLowerCase().includes(actAsHeader)) return error;
  return error.with({ message: error.reason.replace(new RegExp(actAsHeader, 'gi'), '--as') });
}

/** Runs `work` with a platform client, acting for `as` when given, and closes it after. */
async function withClient<T>(flags: TargetFlags, as: string | undefined, work: (client: JumpCloudClient) => Promise<T>): Promise<T> {
  const options = { ...clientOptionsFromEnv(process.env, flags.target), ...clientOverrides(flags) };
  const dispatcher = as === undefined ? undefined : actingDispatcher(as);
  const client = new JumpCloudClient({ ...options, ...(dispatcher === undefined ? {} : { dispatcher }) });
  try {
    return await work(client);
  } catch (error) {
    throw error instanceof PlatformError ? inFlagTerms(error) : error;
  } finally {
    await client.close();
    await dispatcher?.close();
  }
}

/** The flow id for --flow: an id as given, or the flow of that name (the flow list needs an admin key). */
async function flowId(flags: TargetFlags, flow: string): Promise<string> {
  if (/^[0-9a-f]{24}$/.test(flow)) return flow;
  return withClient(flags, undefined, async (client) => {
    try {
      const page = await client.get<{ results: { id: string; name: string }[] }>('/api/v2/approvalflows', {}, { filter: `name:eq:${flow}`, limit: 100 });
      const found = page.results.find((f) => f.name === flow);
      if (found !== undefined) return found.id;
      // Not found: every flow's name, for a did-you-mean (a typo, another case).
      const all = await listEvery<{ name?: unknown }>(client, routes.flows, { style: 'results' });
      const meant = closestName(
        flow,
        all.flatMap((f) => (typeof f.name === 'string' ? [f.name] : [])),
      );
      throw usageError(`--flow: no approval flow named "${flow}"${meant === undefined ? '' : `; did you mean "${meant}"?`}`, '--flow');
    } catch (error) {
      if (error instanceof PlatformError && error.status === 403) {
        throw usageError('finding a flow by name needs an administrator key; with a per-user key, pass the flow id to --flow', '--flow');
      }
      throw error;
    }
  });
}

function describe(request: RequestView): string {
  const duration = request.approvedDuration || request.requestedDuration;
  const lines = [
    printable(
      `request ${request.id}: ${request.status ?? '-'} (${request.approvalFlowName ?? '-'} for ${request.userName ?? '-'}${duration ? `, ${duration}` : ''})`,
    ),
  ];
  for (const approver of request.approvers ?? []) {
    lines.push(printable(`  level ${approver.approvalSequence ?? '-'}: ${approver.resourceName ?? '-'} ${approver.approvalStatus ?? '-'}`));
  }
  return `${lines.join('\n')}\n`;
}

/** One request in full, for `request show`: what the queue's row says, and the reason, the group and the times. */
function details(request: RequestView): string {
  const field = (label: string, value: string | undefined): string[] => (value ? [printable(`  ${label.padEnd(10)} ${value}`)] : []);
  return [
    describe(request).trimEnd(),
    ...field('group', request.group),
    ...field('type', request.approvalType),
    ...field('requested', request.requestedDuration),
    ...field('approved', request.approvedDuration),
    ...field('reason', request.remarks),
    ...field('created', request.createdAt),
    ...field('updated', request.updatedAt),
    '',
  ].join('\n');
}

function table(requests: RequestView[]): string {
  const rows = [
    ['ID', 'STATUS', 'REQUESTER', 'RESOURCE', 'FLOW', 'DURATION', 'REQUESTED'],
    ...requests.map((r) => [
      r.id,
      r.status === undefined ? '-' : statusLabel(r.status),
      r.userName || '-',
      r.group || '-',
      r.approvalFlowName || '-',
      r.approvedDuration || r.requestedDuration || '-',
      r.createdAt || '-',
    ]),
  ];
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  const text = rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
  return `${text}\n`;
}

interface ListFlags {
  status: string;
  type: string;
  view?: string;
  all: boolean;
  flow?: string;
  as?: string;
  json: boolean;
}

/** The filters of a list: the console's defaults (manual, pending, Administrator view) unless told otherwise. */
function listFilters(options: ListFlags): { filters: string[]; view: (typeof views)[number]; described: string } {
  const status = options.all ? undefined : readStatus(options.status);
  const type = options.all || options.type === 'any' ? undefined : oneOf(options.type, approvalTypes, '--type');
  // Acting as a user, the list is theirs (their requests and those waiting on them): no view applies.
  const view = options.all ? 'all' : oneOf(options.view ?? (options.as === undefined ? 'administrator' : 'all'), views, '--view');
  const filters = [
    ...(status === undefined ? [] : [`status:eq:${status}`]),
    ...(type === undefined ? [] : [`approvalType:eq:${type}`]),
    ...(view === 'all' ? [] : [`queue:eq:${view}`]),
    ...(options.flow === undefined ? [] : [`approvalFlowId:eq:${options.flow}`]),
  ];
  const parts = [
    view === 'all' ? 'every view' : `${view === 'administrator' ? 'Administrator' : 'Others'} view`,
    type ?? 'any approval type',
    status === undefined ? 'any status' : statusLabel(status),
  ];
  return { filters, view, described: parts.join(', ') };
}

/** Every request the filters match, newest first, page after page (each continuing below the last id seen). */
async function listAll(client: JumpCloudClient, filters: string[]): Promise<RequestView[]> {
  const requests: RequestView[] = [];
  for (;;) {
    const last = requests.at(-1)?.id;
    const filter = last === undefined ? filters : [...filters, `_id:lt:${last}`];
    const body = await client.get<unknown>('/api/v2/approvalflowrequest', {}, { limit: pageSize, sort: '-_id', filter });
    const results = pageResults(body);
    // A page must continue below the last id seen: one that does not would be read forever.
    const next = results.at(-1)?.id;
    if (last !== undefined && next !== undefined && next >= last) throw listRefused(`the page after id ${last} did not continue below it`);
    requests.push(...results);
    if (results.length < pageSize) return requests;
  }
}

function listRefused(message: string): PlatformError {
  return new PlatformError({ method: 'GET', route: '/api/v2/approvalflowrequest', status: 200, message });
}

/** A page's requests. Protobuf JSON leaves an empty list out, so `{}` is a page of none (as the strict profile answers). */
function pageResults(body: unknown): RequestView[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw listRefused('expected {results, totalCount}');
  const results = (body as { results?: unknown }).results;
  if (results === undefined) return [];
  if (!Array.isArray(results) || !results.every((r) => typeof r === 'object' && r !== null && typeof (r as { id?: unknown }).id === 'string')) {
    throw listRefused('expected results to be a list of requests, each with an id');
  }
  return results as RequestView[];
}

type Output = { json: boolean };

function print(value: unknown, text: string, output: Output): void {
  process.stdout.write(output.json ? `${JSON.stringify(value, null, 2)}\n` : text);
}

export function requestCommand(): Command {
  const command = new Command('request').description('submit, list and decide access requests (end-user and approver actions)');

  withTargetOptions(
    command
      .command('submit')
      .description('request access through an approval flow')
      .requiredOption('--flow <name|id>', 'the approval flow')
      .requiredOption('--reason <text>', 'why the access is needed (1 to 1000 characters)')
      .option('--duration <iso>', 'the duration to request, e.g. PT8H or P1D, when the flow offers a choice')
      .option('--as <user>', 'act for this user (email or username; sandbox only, needs an admin key)')
      .option('--json', 'print the request as JSON', false),
  ).action(async (options: { flow: string; reason: string; duration?: string; as?: string; json: boolean } & TargetFlags) => {
    const id = await flowId(options, options.flow);
    const body = {
      approvalFlowId: id,
      remarks: options.reason,
      ...(options.duration === undefined ? {} : { requestedDuration: options.duration }),
    };
    const request = await withClient(options, options.as, (client) => client.post<RequestView>('/api/v2/approvalflowrequest', {}, body));
    print(request, describe(request), options);
  });

  withTargetOptions(
    command
      .command('list')
      .description(
        "the Request Queue, as the console shows it: the Administrator view's pending manual requests unless told otherwise; with --as a user, theirs and those waiting on them",
      )
      .option('--status <status>', `${requestStatuses.join(', ')} (or the console's words, e.g. "Missing Data"), or any`, 'pending')
      .option('--type <type>', 'approval type: manual, automated or any', 'manual')
      .option('--view <view>', 'administrator (requests an administrator must act on), others (waiting on assigned approvers) or all; all with --as')
      .option('--all', 'every request: any status, type and view', false)
      .option('--flow <name|id>', 'only requests for this approval flow (its name, as submit takes, or its id)')
      .option('--as <user>', 'list as this user (sandbox only, needs an admin key)')
      .option('--json', 'print JSON: {results, totalCount}', false),
  ).action(async (options: ListFlags & TargetFlags) => {
    // A name is resolved as submit resolves it: a name that matches no flow is refused, never a silent empty list.
    const flow = options.flow === undefined ? undefined : await flowId(options, options.flow);
    const { filters, described } = listFilters({ ...options, ...(flow === undefined ? {} : { flow }) });
    const results = await withClient(options, options.as, (client) => listAll(client, filters));
    const text = results.length === 0 ? `no access requests (${described})\n` : `${described}: ${results.length}\n${table(results)}`;
    print({ results, totalCount: results.length }, text, options);
  });

  withTargetOptions(
    command
      .command('show <id>')
      .description('one access request in full: its status, flow, requester, durations, reason and each approval level')
      .option('--as <user>', 'show as this user (sandbox only, needs an admin key)')
      .option('--json', 'print the request as JSON', false),
  ).action(async (id: string, options: { as?: string; json: boolean } & TargetFlags) => {
    const request = await withClient(options, options.as, async (client) => {
      try {
        return await client.get<RequestView>('/api/v2/approvalflowrequest/{id}', { id });
      } catch (error) {
        // Name the request asked for, not the route template the client counts by.
        throw error instanceof PlatformError ? error.at(`/api/v2/approvalflowrequest/${encodeURIComponent(id)}`) : error;
      }
    });
    print(request, details(request), options);
  });

  for (const decision of ['approve', 'deny'] as const) {
    const decide = command
      .command(`${decision} <id>`)
      .description(`${decision} an access request: as an approver with --as, or as an administrator (final) without it`)
      .option('--as <user>', 'decide as this approver (email or username; sandbox only, needs an admin key)')
      .option('--reason <text>', 'remarks for the requester');
    // Only an approval grants access, so only an approval has a duration to shorten.
    if (decision === 'approve') decide.option('--duration <iso>', 'approve a shorter duration than requested');
    withTargetOptions(decide.option('--json', 'print the request as JSON', false)).action(
      async (id: string, options: { as?: string; reason?: string; duration?: string; json: boolean } & TargetFlags) => {
        const status = decision === 'approve' ? 'approved' : 'denied';
        const extra = {
          ...(options.reason === undefined ? {} : { remarks: options.reason }),
          ...(options.duration === undefined ? {} : { approvedDuration: options.duration }),
        };
        const request = await withClient(options, options.as, async (client) => {
          if (options.as !== undefined) return client.post<RequestView>('/api/v2/userapprovalrequest', {}, { id, status, ...extra });
          try {
            return await client.put<RequestView>('/api/v2/approvalflowrequest/{id}', { id }, { status, ...extra });
          } catch (error) {
            // Name the request that was refused, not the route template the client counts by.
            throw error instanceof PlatformError ? error.at(`/api/v2/approvalflowrequest/${encodeURIComponent(id)}`) : error;
          }
        });
        print(request, describe(request), options);
      },
    );
  }
  return command;
}
