// The one way a command learns to stop: the first SIGTERM or SIGINT aborts a signal, so the work in
// flight can finish; the listeners then step aside, and a second signal ends the process at once.
import { constants } from 'node:os';

/**
 * Under npm (`npm start`), how long after the first signal a repeat is the same stop, not a second
 * one: a terminal's Ctrl-C reaches the whole process group, and npm passes its own copy on,
 * milliseconds later. Heard as a second signal, it would end the process before it cleaned up.
 * Elsewhere a second signal ends the process at once, however soon it comes.
 */
export const REPEAT_WINDOW_MS = 500;

/** The window for this process: REPEAT_WINDOW_MS when npm started it (it sets npm_lifecycle_event), else none. */
export function repeatWindowFor(env: NodeJS.ProcessEnv = process.env): number {
  return env['npm_lifecycle_event'] === undefined ? 0 : REPEAT_WINDOW_MS;
}

export interface StopListener {
  /** Aborted by the first SIGTERM or SIGINT. */
  readonly signal: AbortSignal;
  /** The signal that arrived, once one did. */
  readonly received: NodeJS.Signals | undefined;
  /** Stops listening: a signal after this ends the process as it would without accessctl. */
  close(): void;
}

/**
 * Listens for SIGINT and SIGTERM until the first arrives (then `onStop` says what happens now) or
 * `close()`. Signals within `repeatWindowMs` of the first are that stop told again; after it,
 * nothing of accessctl listens, and the next one ends the process as Node's default does.
 */
export function listenForStop(onStop: (signal: NodeJS.Signals) => void, repeatWindowMs: number = repeatWindowFor()): StopListener {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  let repeats: NodeJS.Timeout | undefined;
  const close = (): void => {
    clearTimeout(repeats);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  };
  function stop(signal: NodeJS.Signals): void {
    if (received !== undefined) return;
    received = signal;
    // Off once the window ends (at once without one): the next signal is then the user saying "now",
    // and Node's default ends the process.
    if (repeatWindowMs > 0) {
      repeats = setTimeout(close, repeatWindowMs);
      repeats.unref();
    } else close();
    onStop(signal);
    controller.abort();
  }
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    close,
  };
}

/** The shell's code for a process ended by `signal`: 128 + its number (130 for SIGINT, 143 for SIGTERM). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + constants.signals[signal];
}
