// Benchmark: effective access and its diff (the plan's access impact) for 1,000 changed flows over a
// directory of 10,000 users and 500 groups, against the plan's own diff() of the same flows in the
// same run. Deterministic: the directory and the flows come from a seeded generator.
import { DirectoryView, type AccessDirectory } from '../src/impact/directory.js';
import { accessImpact, type FlowPair } from '../src/impact/impact.js';
import type { FlowModel } from '../src/model/flow.js';
import { diff, type DiffInput } from '../src/plan/diff.js';
// The sandbox's seeded generator: the same directory and flows on every run.
import { seededRandom } from '../src/sandbox/faults.js';
import { fastestInterleaved, figure, ms, type Report } from './measure.js';

const USERS = 10_000;
const GROUPS = 500;
const FLOWS = 1_000;

/** Users with managers (a tree: every user but the first reports to someone earlier), groups of 10 to 600 members. */
export function benchDirectory(): AccessDirectory {
  const next = seededRandom(1);
  const users = Array.from({ length: USERS }, (_, i) => ({
    id: `u${i}`,
    email: `user${i}@example.com`,
    username: `user${i}`,
    ...(i === 0 ? {} : { managerId: `u${Math.floor(next() * i)}` }),
    active: next() > 0.02,
  }));
  const groups = Array.from({ length: GROUPS }, (_, g) => {
    const size = 10 + Math.floor(next() * 590);
    const members = new Set<string>();
    while (members.size < size) members.add(`u${Math.floor(next() * USERS)}`);
    return { id: `g${g}`, name: `Group ${g}`, memberIds: [...members] };
  });
  return { users, groups };
}

/** A flow and a changed version of it: other groups, a level more or less, a longer or shorter maximum. */
export function benchFlows(): { before: FlowModel; after: FlowModel }[] {
  const next = seededRandom(2);
  const group = (): string => `Group ${Math.floor(next() * GROUPS)}`;
  return Array.from({ length: FLOWS }, (_, i) => {
    const visibleTo = [group(), group(), group()].slice(0, 1 + Math.floor(next() * 3));
    const before: FlowModel = {
      name: `Flow ${i}`,
      spec: {
        description: `Flow ${i}`,
        enabled: true,
        category: 'application',
        grantGroup: group(),
        visibleTo,
        approval: {
          type: 'manual',
          nonAdminApprovers: true,
          levels: [
            { require: 'any', approvers: [{ manager: true }] },
            { require: 'any', approvers: [{ group: group() }] },
          ],
        },
        access: { durations: ['PT8H', 'P1D', 'P7D'] },
      },
    };
    const spec = structuredClone(before.spec);
    spec.visibleTo = [...visibleTo.slice(1), group()];
    if (i % 3 === 0) spec.approval.levels = spec.approval.levels.slice(0, 1);
    else if (i % 3 === 1) spec.approval.levels.push({ require: 'all', approvers: [{ group: group() }, { admins: true }] });
    spec.access = i % 2 === 0 ? { duration: 'P30D' } : { durations: ['PT8H'] };
    return { before, after: { name: before.name, spec } };
  });
}

function diffInput(flows: { before: FlowModel; after: FlowModel }[]): DiffInput {
  const source = { file: 'bench.yaml', line: 1, column: 1 };
  return {
    target: 'bench',
    groups: { desired: [], live: [], unmanageable: [], creatable: new Set() },
    channels: { desired: [], live: [], unmanageable: [], configs: new Map() },
    flows: {
      desired: flows.map((f) => ({ name: f.after.name, previousNames: [], model: f.after, source })),
      live: flows.map((f, i) => ({ id: `id${i}`, name: f.before.name, model: f.before, fingerprint: `sha256:${i}` })),
      unmanageable: [],
    },
    settings: { desired: undefined, live: 'unknown' },
    unsupported: [],
    problems: [],
    warnings: [],
    references: { groups: {}, users: {}, applications: {}, channels: {}, channelIdEncoding: 'base64' },
  };
}

export default async function bench(report: Report): Promise<void> {
  const directory = benchDirectory();
  const flows = benchFlows();
  const pairs: FlowPair[] = flows.map((f) => ({ name: f.after.name, action: 'update', before: f.before, after: f.after, pending: 0 }));
  const input = diffInput(flows);
  let items = 0;
  let changes = 0;
  const memberships = directory.groups.reduce((n, g) => n + (g.memberIds?.length ?? 0), 0);
  const { floor, task } = await fastestInterleaved(
    5,
    async () => {
      changes = diff(input).changes.length;
    },
    async () => {
      const impact = accessImpact(pairs, new DirectoryView(directory));
      items = impact.summary.widening + impact.summary.narrowing + impact.summary.neutral;
    },
  );
  if (changes !== FLOWS) throw new Error(`the plan's diff found ${changes} changes, not ${FLOWS}`);
  if (items === 0 || memberships === 0) throw new Error('the impact bench computed no impact');
  // For information: the impact has no goal against the plan's diff, only its own line in every plan.
  report(
    figure(`access impact of ${FLOWS.toLocaleString('en-US')} changed flows over ${USERS.toLocaleString('en-US')} users and ${GROUPS} groups`, {
      value: ms(task),
      floor: ms(floor),
      unit: 'ms',
      floorLabel: "the plan's own diff() of the same flows",
    }),
  );
}
