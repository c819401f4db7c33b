// --timeout, the flag every command that talks to the platform shares: read as a duration, refused
// with a message naming it, turned into the client's timeouts; and a plan against a target that
// never answers says so in words, warning as it tries again, instead of undici's codes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../src/cli/runtime.js';
import { clientOverrides, MAX_TIMEOUT_MS, withTargetOptions, type TargetFlags } from '../../src/cli/target-options.js';
import { startSilentServer, type SilentServer } from '../jumpcloud/client-silent-server.js';
import { accessctl, startAccessctl } from './in-process.js';

function flagsOf(args: string[]): TargetFlags {
  const command = withTargetOptions(new Command('probe').exitOverride().configureOutput({ writeErr: () => undefined }));
  command.parse(args, { from: 'user' });
  return command.opts<TargetFlags>();
}

describe('--timeout', () => {
  it('defaults to 30 s for the headers and the body, and connects within at most 10 s', () => {
    expect(clientOverrides(flagsOf([])).timeouts).toEqual({ connectMs: 10_000, headersMs: 30_000, bodyMs: 30_000 });
  });

  it.each([
    ['500ms', { connectMs: 500, headersMs: 500, bodyMs: 500 }],
    ['2m', { connectMs: 10_000, headersMs: 120_000, bodyMs: 120_000 }],
    ['1m30s', { connectMs: 10_000, headersMs: 90_000, bodyMs: 90_000 }],
  ])('reads %s', (value, timeouts) => {
    expect(clientOverrides(flagsOf(['--timeout', value])).timeouts).toEqual(timeouts);
  });

  it.each([
    ['0', /--timeout must be a duration .*a unit is required/],
    ['0s', /--timeout must be a duration .*more than zero/],
    ['30', /--timeout must be a duration .*a unit is required/],
    ['soon', /--timeout must be a duration .*not a duration/],
    ['10ms', /--timeout must be a duration .*at least 100ms/],
    ['11m', new RegExp(`--timeout must be at most ${MAX_TIMEOUT_MS / 60_000}m`)],
  ])('refuses %j with a message naming --timeout', (value, says) => {
    expect(() => flagsOf(['--timeout', value])).toThrow(says);
  });

  it('is refused by the command line as a usage error, before anything is read', async () => {
    const run = await accessctl(['plan', 'examples/access', '--target', 'http://127.0.0.1:9', '--timeout', 'forever'], { JUMPCLOUD_API_KEY: 'k' });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/option '--timeout <duration>' argument 'forever' is invalid\. --timeout must be a duration/);
  });
});

describe('plan against a target that never answers', () => {
  let server: SilentServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('fails saying no answer came within --timeout, with a warning for each retry, and no undici code', async () => {
    server = await startSilentServer();
    const run = await accessctl(['plan', 'examples/access', '--target', server.url, '--timeout', '100ms'], { JUMPCLOUD_API_KEY: 'k' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^accessctl: warning: GET \/api\/v2\/usergroups: no answer within 100 ms; trying again \(try 2 of at most 2\)$/m);
    expect(run.stderr).toMatch(/GET \/api\/v2\/usergroups failed: no answer within 100 ms/);
    expect(run.stderr).not.toMatch(/UND_ERR|no response/);
  });

  it("reconcile: a stop cuts the run's reads in flight short, rather than waiting out --timeout", async () => {
    server = await startSilentServer();
    const stateDir = await mkdtemp(join(tmpdir(), 'accessctl-stop-'));
    const stop = new AbortController();
    let told: ((signal: string) => void) | undefined;
    // The process's runtime, but the stop is the test's to give (no real signal reaches vitest).
    const runtime: Runtime = Object.assign(createRuntime(), {
      onStop: (onStop: (signal: string) => void) => {
        told = onStop;
        return stop.signal;
      },
    });
    try {
      // Ten minutes: only the stop can end these reads within the test.
      const running = startAccessctl(
        ['reconcile', 'examples/access', '--once', '--state-dir', stateDir, '--target', server.url, '--timeout', '10m'],
        { JUMPCLOUD_API_KEY: 'k', ACCESSCTL_LOG_LEVEL: 'silent' },
        runtime,
      );
      await server.untilRequests(1);
      told?.('SIGTERM');
      stop.abort();
      const run = await running.finished;
      // A run the stop cut short is stopped, not failed: --once exits 0 (README, exit codes).
      expect(run.code).toBe(0);
      expect(server.connections).toBeGreaterThan(0);
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});
