// The one way a long-running command learns to stop: the first SIGTERM or SIGINT aborts a signal,
// so the work in flight can finish and the process exit 0.

export function stopSignal(onStop: (signal: string) => void): AbortSignal {
  const controller = new AbortController();
  const stop = (signal: NodeJS.Signals): void => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    onStop(signal);
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return controller.signal;
}
