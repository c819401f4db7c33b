// Knows which config values are secrets, so they are required to be references and are masked
// wherever source text is shown (code frames), even when the document is otherwise broken.
import { CST, isMap, isPair, isScalar, visit, type Document } from 'yaml';

const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);
const CREDENTIAL_WORDS = /token|secret|key|auth|passw/i;

/** Headers whose value is a credential and so must come from a secret reference. */
export function isCredentialHeader(name: string): boolean {
  return CREDENTIAL_HEADERS.has(name.toLowerCase()) || CREDENTIAL_WORDS.test(name);
}

/** A cheap test that skips the walk for the many files that cannot hold a secret value. */
function mayHoldSecrets(text: string): boolean {
  return text.includes('signingSecret') || text.includes('secrets') || text.includes('headers') || /:\/\/[^\s/@]*@/.test(text);
}

/** Finds `user:password@` in a URL-like string; returns the password's [start, end) or undefined. */
export function urlPasswordSpan(url: string): [number, number] | undefined {
  const match = /^[a-z][a-z0-9+.-]*:\/\/([^/?#@\s]*)@/i.exec(url);
  if (!match) return undefined;
  const userinfo = match[1]!;
  const colon = userinfo.indexOf(':');
  if (colon === -1) return undefined;
  const start = match[0].indexOf(userinfo) + colon + 1;
  return [start, start + userinfo.length - colon - 1];
}

function scalarRange(node: unknown): [number, number] | undefined {
  if (!isScalar(node) || !node.range) return undefined;
  return [node.range[0], node.range[1]];
}

/**
 * Returns `text` with every literal secret value replaced by asterisks of the same length, so line
 * and column numbers still hold: values of `signingSecret`, of entries under `secrets`, of
 * credential-bearing `headers`, and passwords inside any `url`.
 */
export function maskSecretValues(text: string, docs: readonly Document.Parsed[]): string {
  if (!mayHoldSecrets(text)) return text;
  const spans: [number, number][] = [];
  for (const doc of docs) {
    visit(doc, {
      Pair(_key, pair, path) {
        if (!isScalar(pair.key)) return;
        const key = String(pair.key.value);
        const parent = path[path.length - 1];
        const owner = path[path.length - 2];
        const parentKey = isMap(parent) && isPair(owner) && isScalar(owner.key) ? String(owner.key.value) : undefined;
        const value = pair.value;
        const range = scalarRange(value);
        if (key === 'signingSecret' || parentKey === 'secrets' || (parentKey === 'headers' && isCredentialHeader(key))) {
          if (range) spans.push(range);
        } else if (key === 'url' && range && isScalar(value) && typeof value.value === 'string') {
          const password = urlPasswordSpan(text.slice(range[0], range[1]));
          if (password) spans.push([range[0] + password[0], range[0] + password[1]]);
        }
      },
    });
  }
  return maskSpans(text, spans);
}

/**
 * The same masking from the syntax tree alone, walked without recursion: for text that cannot be
 * composed into documents (nesting too deep, or the valid prefix of a file that is not UTF-8).
 */
export function maskSecretTokens(text: string, tokens: readonly CST.Token[]): string {
  if (!mayHoldSecrets(text)) return text;
  const spans: [number, number][] = [];
  const stack: { token: CST.Token; parentKey: string | undefined }[] = tokens.map((token) => ({ token, parentKey: undefined }));
  while (stack.length > 0) {
    const { token, parentKey } = stack.pop()!;
    if (token.type === 'document') {
      if (token.value) stack.push({ token: token.value, parentKey: undefined });
      continue;
    }
    if (token.type !== 'block-map' && token.type !== 'block-seq' && token.type !== 'flow-collection') continue;
    for (const item of token.items) {
      const keyToken = 'key' in item ? item.key : undefined;
      const key = keyToken ? CST.resolveAsScalar(keyToken)?.value : undefined;
      const value = item.value;
      if (!value) continue;
      stack.push({ token: value, parentKey: key });
      if (key === undefined || !CST.isScalar(value)) continue;
      const range: [number, number] = [value.offset, value.offset + (value.type === 'block-scalar' ? CST.stringify(value).length : value.source.length)];
      if (key === 'signingSecret' || parentKey === 'secrets' || (parentKey === 'headers' && isCredentialHeader(key))) {
        spans.push(range);
      } else if (key === 'url') {
        const password = urlPasswordSpan(text.slice(range[0], range[1]));
        if (password) spans.push([range[0] + password[0], range[0] + password[1]]);
      }
    }
  }
  return maskSpans(text, spans);
}

function maskSpans(text: string, spans: readonly [number, number][]): string {
  if (spans.length === 0) return text;
  // One pass over the text, however many secrets it holds.
  const parts: string[] = [];
  let done = 0;
  for (const [start, end] of [...spans].sort((a, b) => a[0] - b[0])) {
    const from = Math.max(start, done);
    if (end <= from) continue;
    parts.push(text.slice(done, from));
    // Keep newlines so multi-line scalars do not shift later lines.
    parts.push(text.slice(from, end).replace(/[^\n]/g, '*'));
    done = end;
  }
  parts.push(text.slice(done));
  return parts.join('');
}
