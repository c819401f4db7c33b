// `accessctl request submit|list|approve|deny`: end-user and approver actions on access requests.
// Thin: --as acts for a user through the sandbox's act-as header (admin keys only); refusals are
// printed in the CLI's terms (--as, the concrete request path), details included.
import { Command } from 'commander';
import { Agent, type Dispatcher } from 'undici';
import { usageError } from '../errors.js';
import { clientOptionsFromEnv, JumpCloudClient } from '../jumpcloud/client.js';
import { PlatformError } from '../jumpcloud/platform-error.js';
import { clientOverrides, withTargetOptions, type TargetFlags } from './target-options.js';

const actAsHeader = 'x-sandbox-act-as';

interface RequestView {
  id: string;
  status: string;
  approvalFlowName: string;
  userName: string;
  requestedDuration: string;
  approvedDuration: string;
  createdAt: string;
  approvers?: { approvalSequence: string; approvalStatus: string; resourceName: string }[];
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
    let page: { results: { id: string; name: string }[] };
    try {
      page = await client.get('/api/v2/approvalflows', {}, { filter: `name:eq:${flow}`, limit: 100 });
    } catch (error) {
      if (error instanceof PlatformError && error.status === 403) {
        throw usageError('finding a flow by name needs an administrator key; with a per-user key, pass the flow id to --flow', '--flow');
      }
      throw error;
    }
    const found = page.results.find((f) => f.name === flow);
    if (found === undefined) throw usageError(`no approval flow named "${flow}"`, '--flow');
    return found.id;
  });
}

function describe(request: RequestView): string {
  const duration = request.approvedDuration || request.requestedDuration;
  const lines = [
    `request ${request.id}: ${request.status} (${request.approvalFlowName} for ${request.userName}${duration ? `, ${duration}` : ''})`,
  ];
  for (const approver of request.approvers ?? []) {
    lines.push(`  level ${approver.approvalSequence}: ${approver.resourceName} ${approver.approvalStatus}`);
  }
  return `${lines.join('\n')}\n`;
}

function table(requests: RequestView[]): string {
  const rows = [
    ['ID', 'STATUS', 'FLOW', 'USER', 'DURATION', 'CREATED'],
    ...requests.map((r) => [r.id, r.status, r.approvalFlowName, r.userName, r.approvedDuration || r.requestedDuration || '-', r.createdAt]),
  ];
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return (
    rows
      .map((row) =>
        row
          .map((cell, column) => cell.padEnd(widths[column] ?? 0))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
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
      .description('list access requests: the admin queue, or with --as a user, theirs and those waiting on them')
      .option('--status <status>', 'only requests with this status (pending, granted, denied, ...)')
      .option('--flow <id>', 'only requests for this approval flow id')
      .option('--as <user>', 'list as this user (sandbox only, needs an admin key)')
      .option('--json', 'print JSON', false),
  ).action(async (options: { status?: string; flow?: string; as?: string; json: boolean } & TargetFlags) => {
    const filter = [
      ...(options.status === undefined ? [] : [`status:eq:${options.status}`]),
      ...(options.flow === undefined ? [] : [`approvalFlowId:eq:${options.flow}`]),
    ];
    const page = await withClient(options, options.as, (client) =>
      client.get<{ results: RequestView[]; totalCount: number }>('/api/v2/approvalflowrequest', {}, { limit: 100, filter }),
    );
    print(page, page.results.length === 0 ? 'no access requests\n' : table(page.results), options);
  });

  for (const decision of ['approve', 'deny'] as const) {
    withTargetOptions(
      command
        .command(`${decision} <id>`)
        .description(`${decision} an access request: as an approver with --as, or as an administrator (final) without it`)
        .option('--as <user>', 'decide as this approver (email or username; sandbox only, needs an admin key)')
        .option('--reason <text>', 'remarks for the requester')
        .option('--duration <iso>', 'approve a shorter duration than requested')
        .option('--json', 'print the request as JSON', false),
    ).action(async (id: string, options: { as?: string; reason?: string; duration?: string; json: boolean } & TargetFlags) => {
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
    });
  }
  return command;
}
