// Another writer that races the reconciler, deterministically: the recording proxy in front of the
// sandbox holds a read of one flow or group by id (GET /api/v2/approvalflows/{id} or
// /api/v2/usergroups/{id}: apply's read-modify-write read; plans read the lists, never these) and,
// before letting it through, changes that object's description itself. The settings have no such
// read of their own (GET /api/v2/approvalflowsettings is both the plan's read and apply's), so a
// test that races them holds the nth read of that path (holdNthRead), counting the plan's.
import { GROUP_WRITTEN_FIELDS } from '../../src/jumpcloud/fingerprint.js';
import { flowSetBody, type ReadFlow } from '../apply/flow-set.js';
import type { HeldRequest, LoggedRequest, RecordingProxy } from '../fleet/recording-proxy.js';
import type { Harness } from '../sandbox/harness.js';

export interface RacingWriter {
  /** How many times it has changed the object so far. */
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

/** One kind of request the proxy holds, and what is done while it is held (ending in its release). */
export interface HoldRule {
  matches(request: LoggedRequest): boolean;
  onHeld(held: HeldRequest): void;
}

/** Holds, through `proxy`, what any of the rules picks, each with its own rule (the first that picks it). */
export function holdAll(proxy: RecordingProxy, ...rules: HoldRule[]): void {
  const picked = new WeakMap<LoggedRequest, HoldRule>();
  proxy.holdWhen(
    (request) => {
      const rule = rules.find((r) => r.matches(request));
      if (rule !== undefined) picked.set(request, rule);
      return rule !== undefined;
    },
    (held) => picked.get(held.request)?.onHeld(held),
  );
}

/** A rule holding the `n`th GET of `path` (counted from when the rule is made), handed to `whileHeld`, which releases it. */
export function holdNthRead(path: string, n: number, whileHeld: (held: HeldRequest) => void): HoldRule {
  let seen = 0;
  return {
    matches: (request) => request.method === 'GET' && request.path === path && ++seen === n,
    onHeld: whileHeld,
  };
}

/** From now on, the first `times` reads of the flow through `proxy` each find it changed since the plan. */
export function raceFlow(proxy: RecordingProxy, h: Harness, options: RaceOptions): RacingWriter {
  const rule = flowRace(h, options);
  holdAll(proxy, rule);
  return rule;
}

/** The rule of raceFlow, to hold along with others (holdAll). */
export function flowRace(h: Harness, options: RaceOptions): HoldRule & RacingWriter {
  return race(h, `/api/v2/approvalflows/${options.flowId}`, options, (flow, description) => flowSetBody(flow as ReadFlow, { description }));
}

/** From now on, the first `times` reads of the group through `proxy` each find it changed since the plan. */
export function raceGroup(proxy: RecordingProxy, h: Harness, options: Omit<RaceOptions, 'flowId'> & { groupId: string }): RacingWriter {
  const rule = race(h, `/api/v2/usergroups/${options.groupId}`, options, (group, description) => ({
    ...Object.fromEntries(GROUP_WRITTEN_FIELDS.filter((f) => group[f] !== undefined).map((f) => [f, group[f]])),
    description,
  }));
  holdAll(proxy, rule);
  return rule;
}

/** Holds the reads of `path` while writing it: the body is the object as read with another description. */
function race(
  h: Harness,
  path: string,
  options: Pick<RaceOptions, 'times' | 'headers'>,
  body: (read: Record<string, unknown>, description: string) => Record<string, unknown>,
): HoldRule & RacingWriter {
  const headers = options.headers ?? {};
  const state = { writes: 0, problems: [] as string[] };
  return {
    get writes() {
      return state.writes;
    },
    get problems() {
      return state.problems;
    },
    matches: (request) => request.method === 'GET' && request.path === path && state.writes < options.times,
    onHeld: (held) => {
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
  };
}
