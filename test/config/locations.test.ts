// Pins the exact file:line:col of every diagnostic for a set of fixtures that exercise how YAML can
// be written: multiple documents, flow style, quoted keys, CRLF line endings, a byte order mark,
// block scalars, non-ASCII text, compact sequences and errors deep inside approval levels.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';

const fixtures = fileURLToPath(new URL('../fixtures/locations/', import.meta.url));

/** Every fixture and exactly what validating it alone reports, in file and position order. */
const expected: Record<string, string[]> = {
  // The "Done when" case: an approval type outside the enum, below comments and a blank line. The
  // schema error does not hide the flow's other findings: its groups are not declared in this folder.
  'type-sometimes.yaml': [
    'type-sometimes.yaml:9:15 warning undeclared-group',
    'type-sometimes.yaml:10:15 warning undeclared-group',
    'type-sometimes.yaml:12:11 error invalid-value',
  ],
  // Unknown fields point at their keys, in metadata and in spec.
  'unknown-key.yaml': ['unknown-key.yaml:5:3 error unknown-field', 'unknown-key.yaml:8:3 error unknown-field'],
  // Three documents: the first is valid, the second has a wrong type, the third lacks metadata
  // (reported at the third document's first key, after its comment).
  'multi-document.yaml': ['multi-document.yaml:10:11 error wrong-type', 'multi-document.yaml:13:1 error missing-field'],
  // Everything in flow style, across continuation lines.
  'flow-style.yaml': [
    'flow-style.yaml:2:21 warning undeclared-group',
    'flow-style.yaml:2:36 warning undeclared-group',
    'flow-style.yaml:3:26 error invalid-value',
    'flow-style.yaml:3:69 error invalid-value',
    'flow-style.yaml:4:31 error invalid-format',
  ],
  // Keys in single and double quotes: an unknown key points at its opening quote.
  'quoted-keys.yaml': [
    'quoted-keys.yaml:6:17 warning undeclared-group',
    'quoted-keys.yaml:7:17 warning undeclared-group',
    'quoted-keys.yaml:10:5 error unknown-field',
  ],
  // CRLF line endings do not shift lines or columns, and a CR is never part of a header value.
  'crlf.yaml': ['crlf.yaml:7:14 error wrong-type', 'crlf.yaml:10:14 error invalid-value'],
  // Errors inside spec.approval.levels[1].approvers[0] and [1].
  'deep-approver.yaml': [
    'deep-approver.yaml:6:15 warning undeclared-group',
    'deep-approver.yaml:7:15 warning undeclared-group',
    'deep-approver.yaml:17:13 error unknown-field',
    'deep-approver.yaml:18:19 error out-of-range',
  ],
  // A literal block scalar before the error, and non-ASCII text counted in characters, not bytes.
  'block-scalar.yaml': [
    'block-scalar.yaml:10:15 warning undeclared-group',
    'block-scalar.yaml:11:15 warning undeclared-group',
    'block-scalar.yaml:12:13 error invalid-value',
  ],
  // Sequences at the same indentation as their key; a semantic error in the second level.
  'compact-sequences.yaml': ['compact-sequences.yaml:18:9 error duplicate-approver'],
  // Semantic webhook findings in a channel and, in the second document, its subscriptions: a key
  // (unused secret), values (a literal credential, a header value that cannot be sent), an item
  // in a flow sequence, and a channel id repeated in its base64 form.
  'secret-header.yaml': [
    'secret-header.yaml:7:39 warning unused-secret',
    'secret-header.yaml:10:20 error literal-secret',
    'secret-header.yaml:11:13 error invalid-header-value',
    'secret-header.yaml:19:50 warning legacy-event',
    'secret-header.yaml:22:16 error duplicate-channel',
  ],
  // A UTF-8 byte order mark does not count as a column on line 1.
  'bom.yaml': ['bom.yaml:1:13 error invalid-value', 'bom.yaml:3:23 error unknown-field'],
};

async function validateFixture(name: string) {
  const result = await loadConfig(name, fixtures);
  const diagnostics = [...result.diagnostics].sort((a, b) => a.line - b.line || a.column - b.column || a.code.localeCompare(b.code));
  const errors = diagnostics.filter((d) => d.severity === 'error');
  return { result, diagnostics, errors, located: diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.severity} ${d.code}`) };
}

describe('diagnostic locations', () => {
  it('has an expectation for every fixture, and at least eight fixtures', () => {
    const files = readdirSync(fixtures)
      .filter((f) => f.endsWith('.yaml'))
      .sort();
    expect(files).toEqual(Object.keys(expected).sort());
    expect(files.length).toBeGreaterThanOrEqual(8);
  });

  it('keeps the CRLF and byte-order-mark fixtures as they must be', () => {
    const crlf = readFileSync(`${fixtures}crlf.yaml`, 'latin1');
    expect(crlf.split('\r\n').length).toBe(11);
    expect(crlf.replace(/\r\n/g, '')).not.toContain('\n');
    expect(readFileSync(`${fixtures}bom.yaml`).subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
  });

  it.each(Object.entries(expected))('reports exactly the expected positions for %s', async (name, positions) => {
    const { located } = await validateFixture(name);
    expect(located).toEqual(positions);
  });

  it('names the deep approver field by its full path', async () => {
    const { errors: diagnostics } = await validateFixture('deep-approver.yaml');
    expect(diagnostics.map((d) => d.path)).toEqual(['spec.approval.levels[1].approvers[0].grup', 'spec.approval.levels[1].approvers[1].user']);
    expect(diagnostics[0]!.message).toBe('unknown field "grup"; did you mean "group"? Expected one of: manager, user, group, admins');
  });

  it('spans the whole offending value, ending on the same line', async () => {
    const { errors: diagnostics } = await validateFixture('type-sometimes.yaml');
    expect(diagnostics[0]).toMatchObject({ line: 12, column: 11, endLine: 12, endColumn: 20, path: 'spec.approval.type' });
    const crlf = await validateFixture('crlf.yaml');
    // "no" in quotes: the span covers the quotes and stops before the CR; so does a flow sequence.
    expect(crlf.diagnostics[0]).toMatchObject({ line: 7, column: 14, endLine: 7, endColumn: 18 });
    expect(crlf.diagnostics[1]).toMatchObject({ line: 10, column: 14, endLine: 10, endColumn: 20 });
    // A value beyond ASCII is measured in characters: "Zürich €" with its quotes is 10 wide.
    const header = await validateFixture('secret-header.yaml');
    expect(header.diagnostics.find((d) => d.code === 'invalid-header-value')).toMatchObject({ line: 11, column: 13, endLine: 11, endColumn: 23 });
  });

  it('spans an approver written as a flow mapping up to its closing brace', async () => {
    const { errors: diagnostics } = await validateFixture('flow-style.yaml');
    expect(diagnostics[0]).toMatchObject({ line: 3, column: 26, endLine: 3, endColumn: 55, path: 'spec.approval.levels[0].approvers[0]' });
  });

  it('counts objects across the documents of a multi-document file', async () => {
    const { result } = await validateFixture('multi-document.yaml');
    expect(result.files).toBe(1);
    expect(result.objects).toBe(3);
  });

  it('masks a literal credential in the source text used for code frames, keeping columns', async () => {
    const { result } = await validateFixture('secret-header.yaml');
    const text = result.sources.get('secret-header.yaml')!.displayText;
    expect(text).not.toContain('not-in-git-please');
    expect(text.split('\n')[9]).toBe(`    Authorization: ${'*'.repeat('Bearer not-in-git-please'.length)}`);
  });
});
