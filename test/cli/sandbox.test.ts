// `accessctl sandbox`'s banner with --enable-test-hooks: the operator key goes to a file beside --db
// (mode 0600) and the clock hint reads it from there, so the key itself is never in a line a person
// pastes into a shell (and its history); the file is removed when the sandbox stops.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { operatorKeyExport } from '../../src/cli/sandbox-database.js';
import { startAccessctl, type Running } from './in-process.js';

const dir = mkdtempSync(join(tmpdir(), 'accessctl-sandbox-banner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Resolves once the running command has printed `text` (looked at once per turn of the event loop). */
async function printed(running: Running, text: string): Promise<void> {
  while (!running.stdout().includes(text)) await new Promise<void>((resolve) => setImmediate(resolve));
}

describe('accessctl sandbox --enable-test-hooks', () => {
  it('keeps the operator key in a file of its owner only beside --db, prints a clock hint that reads it from there, and removes it at stop', async () => {
    const db = join(dir, 'hooks.db');
    const running = startAccessctl(['sandbox', '--port', '0', '--db', db, '--enable-test-hooks']);
    await printed(running, 'try: ');
    const out = running.stdout();
    const url = /listening on (http:\/\/\S+)/.exec(out)?.[1] ?? '';
    const key = /operator key: (\S+)/.exec(out)?.[1] ?? '';
    expect(key).toMatch(/^sandbox_operator_/);
    const file = `${db}.operator-key`;
    expect(readFileSync(file, 'utf8')).toBe(`${key}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const hint = out.split('\n').find((line) => line.startsWith('clock: '));
    expect(hint).toBe(`clock: export ACCESSCTL_SANDBOX_OPERATOR_KEY="$(cat ${file})"; npx accessctl sandbox clock advance 2h --target ${url}`);
    // Printed once, on its own line, and in no line meant to be run.
    expect(out.split('\n').filter((line) => line.includes(key))).toEqual([`operator key: ${key} (test hooks; new for this run)`]);
    process.emit('SIGINT', 'SIGINT');
    expect((await running.finished).code).toBe(0);
    expect(existsSync(file)).toBe(false);
  });
});

describe('operatorKeyExport', () => {
  it('quotes a key file path the shell would split, and points at the printed key without a file', () => {
    expect(operatorKeyExport("/home/a b/it's.db.operator-key")).toBe(`export ACCESSCTL_SANDBOX_OPERATOR_KEY="$(cat '/home/a b/it'\\''s.db.operator-key')"`);
    expect(operatorKeyExport('/srv/s.db.operator-key')).toBe('export ACCESSCTL_SANDBOX_OPERATOR_KEY="$(cat /srv/s.db.operator-key)"');
    expect(operatorKeyExport(undefined)).toBe('export ACCESSCTL_SANDBOX_OPERATOR_KEY=<the operator key above>');
  });
});
