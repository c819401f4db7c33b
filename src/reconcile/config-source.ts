// Where a run's config comes from: a directory (inside a git work tree or not) or a branch of a
// repository the reconciler follows. Syncing gives the config directory, the commit it came from
// and a way to ask who last changed each file, so events carry configCommit and attribution.
import path from 'node:path';
import { configRootIn } from '../config/discover.js';
import type { GitAttribution } from '../events/cloudevent.js';
import type { GitSource } from './git-source.js';
import { WorkTree } from './work-tree.js';

export type ConfigSource = { kind: 'dir'; dir: string } | { kind: 'git'; git: GitSource; path: string };

/** Says something once per key for the reconciler's lifetime (a run loop would otherwise repeat it every interval). */
export type SayOnce = (key: string, level: 'info' | 'warn', message: string) => void;

export interface SyncedConfig {
  configDir: string;
  /** The commit the config came from; null when the directory is not in git. */
  commit: string | null;
  /** The branch followed (--repo): its history is checked against the last applied commit. */
  branch?: GitSource;
  /** Said every run while it holds: the repository could not be fetched, and the last good commit is used. */
  warning?: string;
  /** The last commit that touched each of these files (as the plan names them); files it cannot vouch for are absent. */
  attribute(files: readonly string[]): Promise<Map<string, GitAttribution>>;
}

const NOBODY = async (): Promise<Map<string, GitAttribution>> => new Map();

export async function syncSource(source: ConfigSource, env: NodeJS.ProcessEnv, say: SayOnce): Promise<SyncedConfig> {
  if (source.kind === 'git') {
    const synced = await source.git.sync();
    const top = synced.dir;
    return {
      configDir: configRootIn(top, source.path),
      commit: synced.commit,
      branch: source.git,
      ...(synced.warning ? { warning: synced.warning } : {}),
      attribute: async (files) => {
        const relativeOf = new Map(files.map((file) => [file, path.relative(top, path.resolve(file))]));
        const found = await source.git.lastChanges([...new Set(relativeOf.values())]);
        return attributions(files, (file) => found.get(relativeOf.get(file) ?? ''));
      },
    };
  }
  const lookup = await WorkTree.holding(source.dir, env);
  if (!lookup.found) {
    say(`outside-git:${source.dir}`, 'info', `${lookup.reason}: events carry no configCommit and no attribution`);
    return { configDir: source.dir, commit: null, attribute: NOBODY };
  }
  const tree = lookup.tree;
  const commit = (await tree.head()) ?? null;
  if (commit === null) {
    say(`no-commit:${tree.top}`, 'info', `the git work tree ${tree.top} has no commit yet: events carry no configCommit and no attribution`);
    return { configDir: source.dir, commit: null, attribute: NOBODY };
  }
  const dirty = await tree.uncommitted(source.dir);
  if (dirty.size > 0) {
    say(
      `dirty:${commit}:${[...dirty].sort().join('\0')}`,
      'info',
      `${dirty.size} file${dirty.size === 1 ? '' : 's'} under ${source.dir} differ${dirty.size === 1 ? 's' : ''} from commit ${commit.slice(0, 12)}: events name that commit, and give no attribution for ${dirty.size === 1 ? 'that file' : 'those files'}`,
    );
  }
  return {
    configDir: source.dir,
    commit,
    attribute: async (files) => {
      const relativeOf = new Map<string, string>();
      for (const file of files) {
        const relative = await tree.inside(file);
        // A file with uncommitted edits was not written by the commit's author.
        if (relative !== undefined && !dirty.has(relative)) relativeOf.set(file, relative);
      }
      const found = await tree.lastChanges([...new Set(relativeOf.values())]);
      return attributions(files, (file) => {
        const relative = relativeOf.get(file);
        return relative === undefined ? undefined : found.get(relative);
      });
    },
  };
}

function attributions(files: readonly string[], lookup: (file: string) => GitAttribution | undefined): Map<string, GitAttribution> {
  const result = new Map<string, GitAttribution>();
  for (const file of files) {
    const change = lookup(file);
    if (change) result.set(file, { commit: change.commit, author: { ...change.author }, date: change.date });
  }
  return result;
}
