// The first SIGINT or SIGTERM asks a command to stop; after it (or after close()) accessctl listens no
// more, so a second signal ends the process as Node's default does. Signals are emitted in this
// process's own emitter: only listeners hear them, and none reaches the operating system.
import { afterEach, describe, expect, it } from 'vitest';
import { listenForStop, signalExitCode, stopSignal, type StopListener } from '../../src/cli/stop-signal.js';

const listeners = (): [number, number] => [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];

describe('stop signals', () => {
  let open: StopListener | undefined;
  afterEach(() => open?.close());

  it('stops on the first signal, says which, and then listens no more', () => {
    const before = listeners();
    const heard: string[] = [];
    open = listenForStop((signal) => heard.push(signal));
    expect(listeners()).toEqual([before[0] + 1, before[1] + 1]);
    expect(open.signal.aborted).toBe(false);
    expect(open.received).toBeUndefined();

    process.emit('SIGTERM', 'SIGTERM');
    expect(heard).toEqual(['SIGTERM']);
    expect(open.signal.aborted).toBe(true);
    expect(open.received).toBe('SIGTERM');
    // Nobody of ours is left to hear the second: Node's default would end the process.
    expect(listeners()).toEqual(before);
    process.emit('SIGINT', 'SIGINT');
    expect(heard).toEqual(['SIGTERM']);
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

  it('keeps the long-running commands’ form: an AbortSignal aborted after onStop', () => {
    const heard: string[] = [];
    const signal = stopSignal((name) => heard.push(`${name} ${signal.aborted}`));
    process.emit('SIGINT', 'SIGINT');
    expect(heard).toEqual(['SIGINT false']);
    expect(signal.aborted).toBe(true);
  });

  it('gives the shell’s code for a process ended by a signal', () => {
    expect(signalExitCode('SIGINT')).toBe(130);
    expect(signalExitCode('SIGTERM')).toBe(143);
  });
});
