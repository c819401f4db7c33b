// The one way a command learns to stop: the first SIGTERM or SIGINT aborts a signal, so the work in
// flight can finish; the listeners then step aside, and a second signal ends the process at once.
import { constants } from 'node:os';

export interface StopListener {
  /** Aborted by the first SIGTERM or SIGINT. */
  readonly signal: AbortSignal;
  /** The signal that arrived, once one did. */
  readonly received: NodeJS.Signals | undefined;
  /** Stops listening: a signal after this ends the process as it would without accessctl. */
  close(): void;
}

/** Listens for SIGINT and SIGTERM until the first arrives (then `onStop` says what happens now) or `close()`. */
export function listenForStop(onStop: (signal: NodeJS.Signals) => void): StopListener {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const close = (): void => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  };
  function stop(signal: NodeJS.Signals): void {
    // Off before onStop runs: the next signal is the user saying "now", and Node's default ends the process.
    close();
    received = signal;
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
