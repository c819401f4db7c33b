// Another writer that races the reconciler, deterministically: the recording proxy in front of the
// sandbox holds the run's read-modify-write read of one flow or group (GET /api/v2/approvalflows/{id}
// or /api/v2/usergroups/{id}, which only apply makes: plans read lists) and, before letting it
// through, changes that object's description itself.
import { GROUP_WRITTEN_FIELDS } from '../../src/jumpcloud/fingerprint.js';
import { flowSetBody, type ReadFlow } from '../apply/flow-set.js';
import type { RecordingProxy } from '../fleet/recording-proxy.js';
import type { Harness } from '../sandbox/harness.js';

export interface RacingWriter {
  /** How many times it has changed the flow so far. */
  readonly writes: number;
  /** What went wrong in its own writes (the test asserts none did). */
  readonly problems: readonly string[];
}

export interface RaceOptions {
  flowId: string;
  /** How many of the run's reads of the flow it races; later reads pass straight through. */
  times: number;
  /** Headers of its own writes (an MSP key and x-org-id for a fleet org); the harness's admin key otherwise. */
  headers?: Record<string, string>;
}

/** From now on, the first `times` reads of the flow through `proxy` each find it changed since the plan. */
export function raceFlow(proxy: RecordingProxy, h: Harness, options: RaceOptions): RacingWriter {
  return race(proxy, h, `/api/v2/approvalflows/${options.flowId}`, options, (flow, description) => flowSetBody(flow as ReadFlow, { description }));
}

/** From now on, the first `times` reads of the group through `proxy` each find it changed since the plan. */
export function raceGroup(proxy: RecordingProxy, h: Harness, options: Omit<RaceOptions, 'flowId'> & { groupId: string }): RacingWriter {
  return race(proxy, h, `/api/v2/usergroups/${options.groupId}`, options, (group, description) => ({
    ...Object.fromEntries(GROUP_WRITTEN_FIELDS.filter((f) => group[f] !== undefined).map((f) => [f, group[f]])),
    description,
  }));
}

/** Holds the reads of `path` while writing it: the body is the object as read with another description. */
function race(
  proxy: RecordingProxy,
  h: Harness,
  path: string,
  options: Pick<RaceOptions, 'times' | 'headers'>,
  body: (read: Record<string, unknown>, description: string) => Record<string, unknown>,
): RacingWriter {
  const headers = options.headers ?? {};
  const state = { writes: 0, problems: [] as string[] };
  proxy.holdWhen(
    (request) => request.method === 'GET' && request.path === path && state.writes < options.times,
    (held) => {
      state.writes++;
      const n = state.writes;
      void (async () => {
        try {
          const read = await h.call<Record<string, unknown>>('GET', path, undefined, headers);
          const put = await h.call('PUT', path, body(read.body, `changed by another writer (${n})`), headers);
          if (put.status !== 200) state.problems.push(`write ${n}: ${put.status} ${JSON.stringify(put.body)}`);
        } catch (error) {
          state.problems.push(`write ${n}: ${error instanceof Error ? error.message : String(error)}`);
        } finally {
          await held.release();
        }
      })();
    },
  );
  return state;
}
