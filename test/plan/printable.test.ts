// Untrusted text made safe to show: every control, bidi mark and zero-width character as a visible
// escape (the shared class of src/protocols/unprintable.ts), and for GitHub markdown, escaped text
// in which no @-mention or #reference can be linked.
import { describe, expect, it } from 'vitest';
import { escapeHtml, markdownCode, markdownHtml, markdownText, printable, printableLines } from '../../src/plan/printable.js';
import { HOSTILE_NAME, RAW_UNPRINTABLE } from './hostile.js';

describe('printable', () => {
  it('shows controls, bidi embeddings, overrides, isolates and marks, and zero-width characters as escapes', () => {
    const cases: [string, string][] = [
      ['\u001b[2J', '\\u001b[2J'],
      ['a\nb\tc', 'a\\u000ab\\u0009c'],
      ['\u0085\u2028\u2029', '\\u0085\\u2028\\u2029'],
      ['\u202a\u202b\u202c\u202d\u202e', '\\u202a\\u202b\\u202c\\u202d\\u202e'],
      ['\u2066\u2067\u2068\u2069', '\\u2066\\u2067\\u2068\\u2069'],
      ['\u200e\u200f\u061c', '\\u200e\\u200f\\u061c'],
      ['\u200b\u200c\u200d\u2060\ufeff', '\\u200b\\u200c\\u200d\\u2060\\ufeff'],
    ];
    for (const [raw, shown] of cases) expect(printable(raw), JSON.stringify(raw)).toBe(shown);
    expect(printable('EVIL\u202eRESU')).toBe('EVIL\\u202eRESU');
  });

  it('leaves ordinary text, accents, right-to-left scripts and emoji as they are', () => {
    for (const text of ['GitHub Admins', 'Équipe sécurité', 'מנהלים', 'مدراء', '🔐 Vault ⚠️', '中文']) expect(printable(text)).toBe(text);
  });

  it('keeps tabs and line breaks in laid-out text, and escapes the rest', () => {
    expect(printableLines('a\tb\r\nc\u202ed\u001b')).toBe('a\tb\r\nc\\u202ed\\u001b');
  });

  it('escapes HTML after making the text printable', () => {
    expect(escapeHtml('<b>&"\u202e')).toBe('&lt;b&gt;&amp;&quot;\\u202e');
  });
});

describe('GitHub markdown', () => {
  it('neutralises @-mentions, team mentions and issue references with an empty comment, keeping every visible character', () => {
    expect(markdownText('ping @octocat and @org/team')).toBe('ping @<!-- -->octocat and @<!-- -->org/team');
    expect(markdownText('fixes #123 and GH-45')).toBe('fixes \\#<!-- -->123 and GH<!-- -->-45');
    expect(markdownHtml('@octocat #1 <b>')).toBe('@<!-- -->octocat #<!-- -->1 &lt;b&gt;');
    // An e-mail address and a lone @ are shown as they are, beside the comment.
    expect(markdownText('a @ b')).toBe('a @ b');
  });

  it('escapes markdown, entities and hostile characters in text outside HTML', () => {
    expect(markdownText('*x* [l](u) `c` <i> | &#64;')).toBe('\\*x\\* \\[l\\]\\(u\\) \\`c\\` \\<i\\> \\| &amp;\\#<!-- -->64;');
    expect(markdownText(HOSTILE_NAME)).not.toMatch(RAW_UNPRINTABLE);
    expect(markdownText(HOSTILE_NAME)).not.toMatch(/@octocat|#123/);
  });

  it('makes a code span no backtick in the text can close, with nothing raw inside', () => {
    expect(markdownCode('a.yaml:3:5')).toBe('`a.yaml:3:5`');
    expect(markdownCode('a``b')).toBe('```a``b```');
    expect(markdownCode('`x')).toBe('`` `x ``');
    expect(markdownCode('f\n::warning::x\u202e')).toBe('`f\\u000a::warning::x\\u202e`');
  });
});
