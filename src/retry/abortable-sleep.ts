// The one abortable wait of every loop that pauses: the reconciler's schedule, the lock's polling
// and the fleet worker's heartbeat. A stop ends the wait early without rejecting, so each caller
// says what a stop means; the timer is injectable, so tests drive it.

/** Starts a timer and returns its cancel function. */
export type SetTimer = (callback: () => void, ms: number) => () => void;

/** Node's timers, looked up at each call so that fake timers installed later are the ones used. */
export const globalTimer: SetTimer = (callback, ms) => {
  const timer = setTimeout(callback, ms);
  return () => clearTimeout(timer);
};

/** Resolves after `ms`, or as soon as `signal` aborts (at once if it has); never rejects, and leaves no timer or listener behind. */
export function abortableSleep(ms: number, signal?: AbortSignal, setTimer: SetTimer = globalTimer): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    let cancel: (() => void) | undefined;
    const done = (): void => {
      cancel?.();
      signal?.removeEventListener('abort', done);
      resolve();
    };
    signal?.addEventListener('abort', done, { once: true });
    cancel = setTimer(done, ms);
  });
}
