// Redaction rules on their own: which paths hold secrets, replacing known secret strings, and
// deep copies that mask secret keys.
import { describe, expect, it } from 'vitest';
import { isSecretPath, redactFields, redactValue, secretRedactor } from '../../src/events/redaction.js';

describe('redaction', () => {
  it('recognises secret-bearing paths in the config path syntax', () => {
    expect(isSecretPath('spec.signingSecret')).toBe(true);
    expect(isSecretPath('spec.secrets.token')).toBe(true);
    expect(isSecretPath('spec.headers["X-Api-Key"]')).toBe(true);
    expect(isSecretPath('spec["signingSecret"]')).toBe(true);
    expect(isSecretPath('spec.headers')).toBe(true);
    expect(isSecretPath('spec.url')).toBe(false);
    expect(isSecretPath('spec.approval.levels[0].require')).toBe(false);
    expect(isSecretPath('spec.description')).toBe(false);
  });

  it('replaces every occurrence of each known secret, the longest first', () => {
    const redact = secretRedactor(['abc', 'abcdef', '']);
    expect(redact('xabcdefy abc')).toBe('x[redacted]y [redacted]');
    expect(secretRedactor([])('abc')).toBe('abc');
  });

  it('copies values deeply, masking secret keys and surviving cycles', () => {
    const cyclic: Record<string, unknown> = { a: 'keep' };
    cyclic['self'] = cyclic;
    expect(redactValue(cyclic)).toEqual({ a: 'keep', self: '[circular]' });
    expect(redactValue({ Headers: { a: 1 }, list: [undefined, 1n] })).toEqual({ Headers: '(sensitive)', list: [null, '1'] });
  });

  it('drops before and after of a sensitive field but keeps its path', () => {
    expect(redactFields([{ path: 'spec.x', before: 1, after: 2, sensitive: true }])).toEqual([{ path: 'spec.x', sensitive: true }]);
  });
});
