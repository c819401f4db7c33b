// A seed file that breaks its schema is refused with each error's place (file:line:col and path) and
// what is wrong in words, naming the property: never ajv's `/ must NOT have additional properties`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSeed } from '../../src/sandbox/seed.js';

const dir = mkdtempSync(join(tmpdir(), 'accessctl-seed-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function refusal(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  try {
    loadSeed(file);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${name} was accepted`);
}

describe('seed schema errors', () => {
  it('names an unknown property at the top, where it is, and what is allowed', () => {
    const file = join(dir, 'top.yaml');
    const message = refusal('top.yaml', 'organizations:\n  - name: X\nusers: []\n');
    expect(message).toContain(`${file}:3:1: /: unknown property "users"; expected one of: organizations, adminKeys`);
    expect(message).not.toContain('must NOT have additional properties');
  });

  it('names an unknown property deep in the file, a missing one and a wrong value, each with its line', () => {
    const file = join(dir, 'deep.yaml');
    const message = refusal(
      'deep.yaml',
      ['organizations:', '  - name: X', '    users:', '      - username: a', '        email: a@example.com', '        colour: red', '  - id: nothex'].join(
        '\n',
      ),
    );
    expect(message).toMatch(
      new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:6:9: /organizations/0/users/0: unknown property "colour"; expected one of: [a-z, ]*username`),
    );
    expect(message).toContain(`${file}:7:5: /organizations/1: missing required property "name"`);
    expect(message).toContain(`${file}:7:9: /organizations/1/id: must match pattern`);
    expect(message).not.toMatch(/must NOT have additional properties/);
  });
});
