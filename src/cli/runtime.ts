// The small runtime main.ts hands to the commands: actions return their exit code and main sets
// the process's once; commands reach the platform through one client scope; apply asks on its
// terminal; long-running commands learn here when to stop.
import type { ClientScope } from '../pipeline/make-plan.js';
import { processTerminal, type Terminal } from './approval.js';
import { listenForStop, type StopListener } from './stop-signal.js';
import { clientOverrides, type TargetFlags } from './target-options.js';

/** What an action returns: the exit code, or nothing for 0. */
export type ExitCode = number | undefined;

export interface Runtime {
  /** Where apply asks before changing anything. */
  readonly terminal: Terminal;
  /** Wraps an action for commander: the code it returns becomes the program's exit code. */
  action<A extends unknown[]>(run: (...args: A) => Promise<ExitCode>): (...args: A) => Promise<void>;
  /**
   * Runs `use` with the command's platform clients, made from --target (then JUMPCLOUD_API_URL and
   * the Project) and the rate flags on first use, and closed however `use` ends. `stop` cuts their
   * reads in flight short and ends their retries.
   */
  clientFor<T>(flags: TargetFlags, use: (clients: ClientScope) => Promise<T>, stop?: AbortSignal): Promise<T>;
  /** Aborted by the first SIGTERM or SIGINT, after `onStop` has said what happens now. */
  onStop(onStop: (signal: string) => void): AbortSignal;
  /** The exit code the action that ran returned (0 until one returns another). */
  readonly exitCode: number;
}

export function createRuntime(terminal: Terminal = processTerminal()): Runtime {
  let exitCode = 0;
  // An action's stop listeners end with it: a runtime that runs several commands (in one process,
  // as the tests do) must not leave each one's SIGTERM handler behind to answer a later signal.
  const listening = new Set<StopListener>();
  return {
    terminal,
    action:
      (run) =>
      async (...args) => {
        try {
          exitCode = (await run(...args)) ?? 0;
        } finally {
          for (const listener of listening) listener.close();
          listening.clear();
        }
      },
    // loaded on first use: the pipeline is most of the program, and --version or validate never reach the platform
    clientFor: async (flags, use, stop) => {
      const { withClientScope } = await import('../pipeline/make-plan.js');
      const clientOptions = stop === undefined ? clientOverrides(flags) : { ...clientOverrides(flags), stop };
      return withClientScope({ target: flags.target, clientOptions }, use);
    },
    onStop: (onStop) => {
      const listener = listenForStop(onStop);
      listening.add(listener);
      return listener.signal;
    },
    get exitCode() {
      return exitCode;
    },
  };
}
