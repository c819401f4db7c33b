// The first SIGINT or SIGTERM asks a command to stop; a repeat within a moment is the same stop; after
// that (or after close()) accessctl listens no more, so a second signal ends the process as Node's default does. Signals are emitted in this
// process's own emitter: only listeners hear them, and none reaches the operating system.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRuntime } from '../../src/cli/runtime.js';
import { listenForStop, REPEAT_WINDOW_MS, repeatWindowFor, signalExitCode, type StopListener } from '../../src/cli/stop-signal.js';

const listeners = (): [number, number] => [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];

describe('stop signals', () => {
  let open: StopListener | undefined;
  afterEach(() => {
    open?.close();
    vi.useRealTimers();
  });

  it('stops on the first signal, says which, and then listens no more', () => {
    const before = listeners();
    const heard: string[] = [];
    open = listenForStop((signal) => heard.push(signal), 0);
    process.emit('SIGTERM', 'SIGTERM');
    expect(heard).toEqual(['SIGTERM']);
    expect(open.signal.aborted).toBe(true);
    expect(open.received).toBe('SIGTERM');
    // Nobody of ours is left to hear the second: Node's default would end the process.
    expect(listeners()).toEqual(before);
  });

  it('under npm, takes a repeat that comes at once for the same stop (npm passes on the Ctrl-C its child got too), then listens no more', () => {
    expect(repeatWindowFor({ npm_lifecycle_event: 'start' })).toBe(REPEAT_WINDOW_MS);
    expect(repeatWindowFor({})).toBe(0);
    vi.useFakeTimers();
    const before = listeners();
    const heard: string[] = [];
    open = listenForStop((signal) => heard.push(signal), REPEAT_WINDOW_MS);
    expect(listeners()).toEqual([before[0] + 1, before[1] + 1]);
    expect(open.signal.aborted).toBe(false);
    expect(open.received).toBeUndefined();

    process.emit('SIGTERM', 'SIGTERM');
    expect(heard).toEqual(['SIGTERM']);
    expect(open.signal.aborted).toBe(true);
    expect(open.received).toBe('SIGTERM');
    // A terminal's Ctrl-C reaches npm and node both, and npm passes its copy on: the same stop, heard by
    // accessctl (so Node's default does not end the process before it cleans up) and not acted on twice.
    vi.advanceTimersByTime(REPEAT_WINDOW_MS - 1);
    process.emit('SIGINT', 'SIGINT');
    expect(heard).toEqual(['SIGTERM']);
    expect(listeners()).toEqual([before[0] + 1, before[1] + 1]);
    // After the window nobody of ours is left to hear the next: Node's default would end the process.
    vi.advanceTimersByTime(1);
    expect(listeners()).toEqual(before);
  });

  it('listens no more once closed, without stopping', () => {
    const before = listeners();
    const heard: string[] = [];
    open = listenForStop((signal) => heard.push(signal));
    open.close();
    expect(listeners()).toEqual(before);
    process.emit('SIGINT', 'SIGINT');
    expect(heard).toEqual([]);
    expect(open.signal.aborted).toBe(false);
  });

  it("gives a runtime action's long-running command an AbortSignal aborted after onStop, and stops listening when the action ends", async () => {
    const before = listeners();
    const runtime = createRuntime();
    const heard: string[] = [];
    let during: [number, number] = [0, 0];
    await runtime.action(async () => {
      runtime.onStop((name) => heard.push(name));
      during = listeners();
      return 0;
    })();
    expect(during).toEqual([before[0] + 1, before[1] + 1]);
    // Ended with its action: a later signal to this process is not answered by a finished command.
    expect(listeners()).toEqual(before);
    process.emit('SIGTERM', 'SIGTERM');
    expect(heard).toEqual([]);

    await runtime.action(async () => {
      const signal = runtime.onStop((name) => heard.push(`${name} ${signal.aborted}`));
      process.emit('SIGINT', 'SIGINT');
      expect(signal.aborted).toBe(true);
      return 0;
    })();
    expect(heard).toEqual(['SIGINT false']);
    expect(listeners()).toEqual(before);
  });

  it('gives the shell’s code for a process ended by a signal', () => {
    expect(signalExitCode('SIGINT')).toBe(130);
    expect(signalExitCode('SIGTERM')).toBe(143);
  });
});
