// What a pull request run found: the validation result and, for a valid config, the plan (or why
// it could not be made). The comment and the check run are both renderings of this one value.
import type { LoadResult } from '../config/load.js';
import { countDiagnostics, sortDiagnostics, type Diagnostic } from '../diagnostics/diagnostic.js';
import { makePlan, type ClientFor } from '../pipeline/make-plan.js';
import { countByAction, hasChanges, isApplicable, type Plan } from '../plan/plan.js';

export interface Outcome {
  files: number;
  objects: number;
  /** Sorted by file and position. */
  diagnostics: Diagnostic[];
  /** Present when the config is valid and the platform answered. */
  plan?: Plan;
  /** Why no plan could be made for a valid config (the platform refused or was unreachable). */
  planError?: string;
}

export type Verdict = 'invalid' | 'unplannable' | 'changes' | 'no-changes';

export interface AssessOptions {
  dir: string;
  /** What the plan reads the live state through; the caller owns it. */
  client: ClientFor;
  env?: NodeJS.ProcessEnv;
  /** Reads and checks the config (default loadConfig(dir)), e.g. through a parse cache. */
  load?: (dir: string) => Promise<LoadResult>;
}

/** Validates and plans. Platform errors become `planError` so they can be shown on the PR; other errors propagate. */
export async function assess(options: AssessOptions): Promise<Outcome> {
  const run = await makePlan(options);
  const base = { files: run.config.files, objects: run.config.objects, diagnostics: sortDiagnostics(run.config.diagnostics) };
  if (run.status === 'invalid') return base;
  if (run.status === 'unplannable') {
    if (run.error.code === 'platform') return { ...base, planError: run.error.message };
    throw run.error;
  }
  return { ...base, plan: run.plan };
}

/**
 * invalid: the config has errors; unplannable: valid, but the plan could not be made or cannot be
 * applied (problems, guards, unknown live state); otherwise whether anything would change.
 */
export function verdict(outcome: Outcome): Verdict {
  if (countDiagnostics(outcome.diagnostics).errors > 0) return 'invalid';
  if (outcome.plan === undefined || !isApplicable(outcome.plan)) return 'unplannable';
  return hasChanges(outcome.plan) ? 'changes' : 'no-changes';
}

/** True when the plan would delete anything: the destroy label's condition. */
export function deletes(outcome: Outcome): boolean | undefined {
  if (outcome.plan === undefined) return undefined;
  return countByAction(outcome.plan).delete > 0 || outcome.plan.blocked.length > 0;
}
