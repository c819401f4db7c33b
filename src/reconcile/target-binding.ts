// The reconciler's one client, owned by whoever starts the reconciler: made on the first run for
// the target resolveTarget picks (--target, JUMPCLOUD_API_URL, then the repo's Project), and kept
// for keep-alive and request counts. Each later run checks the repo still names that target.
import type { DesiredState } from '../config/desired.js';
import { AccessctlError } from '../errors.js';
import { AnswerMemo } from '../jumpcloud/answer-memo.js';
import { clientOptionsFromEnv, JumpCloudClient, type ClientOptions } from '../jumpcloud/client.js';
import { compareProjectTarget, resolveTarget, type ResolvedTarget, type TargetSource } from '../jumpcloud/target.js';

type ProjectTarget = NonNullable<NonNullable<NonNullable<DesiredState['project']>['object']['spec']>['target']>;

/** The repo's Project names another target than the client's. */
export interface TargetMismatch {
  /** The target the repo's Project means (its url, or the default when it names none). */
  project: string;
  /** The target the client talks to, and where that came from. */
  client: string;
  from: TargetSource;
  /** True: --target or JUMPCLOUD_API_URL chose the client's target on purpose, and runs go on. False: the repo moved; nothing is applied. */
  overridden: boolean;
  message: string;
}

export interface TargetBindingOptions {
  /** --target, when given. */
  target?: string | undefined;
  env: NodeJS.ProcessEnv;
  clientOptions?: Partial<ClientOptions>;
}

type Connect = (project: ProjectTarget | undefined) => { client: JumpCloudClient; target: ResolvedTarget };

export class TargetBinding {
  private bound: { client: JumpCloudClient; target: ResolvedTarget } | undefined;

  private constructor(private readonly connect: Connect) {}

  /**
   * Clients for the target resolved from the flag, the environment and the first run's Project. A
   * missing key or a bad --target is refused now, before any run, as every other command does.
   */
  static resolving(options: TargetBindingOptions): TargetBinding {
    clientOptionsFromEnv(options.env, options.target, undefined);
    return new TargetBinding((project) => {
      const target = resolveTarget(options.target, options.env, project?.url);
      // Kept for the reconciler's lifetime, so an unchanged list page is not parsed again each cycle.
      const client = new JumpCloudClient({
        answers: new AnswerMemo(),
        ...clientOptionsFromEnv(options.env, options.target, project),
        ...options.clientOptions,
      });
      return { client, target };
    });
  }

  /** A client made elsewhere, its target said to come from `from` (tests, and callers that chose the target themselves). */
  static fixed(client: JumpCloudClient, from: TargetSource = '--target'): TargetBinding {
    return new TargetBinding(() => ({ client, target: { url: client.target, from } }));
  }

  /** The target of the client, once made. */
  get target(): string | undefined {
    return this.bound?.target.url;
  }

  /** The client, made now if this is the first valid config. */
  bind(desired: DesiredState): { client: JumpCloudClient; mismatch?: TargetMismatch } {
    const project = desired.project?.object.spec?.target;
    this.bound ??= this.connect(project);
    const { client, target } = this.bound;
    const agreement = compareProjectTarget(target, project?.url);
    if (agreement.agrees) return { client };
    const named = project?.url === undefined ? `names no target (so ${agreement.project})` : `names ${agreement.project}`;
    const message = agreement.overridden
      ? `the repo's Project ${named}, but this reconciler talks to ${target.url} because ${target.from} says so, which takes precedence`
      : `the repo's Project now ${named}, but this reconciler's client was built for ${target.url} (${target.from === 'default' ? 'the default, as the Project named no target' : target.from === 'JUMPCLOUD_API_URL' ? 'JUMPCLOUD_API_URL, which the Project did not contradict then' : 'the Project file then'}); restart the reconciler to follow the repo`;
    return { client, mismatch: { project: agreement.project, client: target.url, from: target.from, overridden: agreement.overridden, message } };
  }

  /** Closes the client, if one was made by this binding's connect function. */
  async close(): Promise<void> {
    const bound = this.bound;
    this.bound = undefined;
    await bound?.client.close();
  }
}

/** The error a run ends with when the repo moved to another target than its client's. */
export function movedTarget(mismatch: TargetMismatch): AccessctlError {
  return new AccessctlError('conflict', `${mismatch.message}; nothing was applied`, { subject: 'spec.target.url' });
}
