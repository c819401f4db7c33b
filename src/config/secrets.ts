// Knows which config values are secrets, so they are required to be references and are masked
// wherever source text is shown (code frames), even when the document is otherwise broken.
import { CST, isMap, isPair, isScalar, visit, type Document } from 'yaml';

const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);
const CREDENTIAL_WORDS = /token|secret|key|auth|passw/i;

/** Headers whose value is a credential and so must come from a secret reference. */
export function isCredentialHeader(name: string): boolean {
  return CREDENTIAL_HEADERS.has(name.toLowerCase()) || CREDENTIAL_WORDS.test(name);
}

// Words that, as a query parameter's name or a word of it, say its value is a credential: api_key,
// access_token, X-Amz-Signature, sig (Azure SAS), client_secret, password, auth...
const CREDENTIAL_PARAMETER_WORDS = new Set([
  'key',
  'apikey',
  'token',
  'secret',
  'password',
  'passwd',
  'pwd',
  'pass',
  'passphrase',
  'sig',
  'signature',
  'auth',
  'authorization',
  'credential',
  'credentials',
  'jwt',
  'bearer',
  'hmac',
  'session',
]);
// A name run together, such as accesstoken or clientsecret, still ends in the word.
const CREDENTIAL_PARAMETER_ENDINGS = ['key', 'token', 'secret', 'password', 'passwd', 'signature'];

/**
 * Whether a URL query parameter's name says it carries a credential, ignoring case: one of its
 * words (split at punctuation and camelCase) is a credential word, or it ends in one.
 */
export function isCredentialParameter(name: string): boolean {
  const words = name
    .split(/[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])/)
    .filter((word) => word !== '')
    .map((word) => word.toLowerCase());
  const joined = words.join('');
  return words.some((word) => CREDENTIAL_PARAMETER_WORDS.has(word)) || CREDENTIAL_PARAMETER_ENDINGS.some((ending) => joined.endsWith(ending));
}

const PLACEHOLDER = /\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}/;

/** A query parameter of a URL whose name says it is a credential and whose value is written out. */
export interface LiteralCredentialParameter {
  /** The name as written (percent-decoded when it decodes). */
  name: string;
  /** Where the name starts in the URL string. */
  nameStart: number;
  /** The value's [start, end) in the URL string. */
  span: [number, number];
}

/**
 * The query parameters of `url` that carry a literal credential: a credential name (see
 * isCredentialParameter) with a non-empty value holding no {{PLACEHOLDER}}. `&` and `;` both
 * separate parameters, as some servers read either.
 */
export function literalCredentialParameters(url: string): LiteralCredentialParameter[] {
  const question = url.indexOf('?');
  if (question === -1) return [];
  const hash = url.indexOf('#', question);
  const end = hash === -1 ? url.length : hash;
  const found: LiteralCredentialParameter[] = [];
  let start = question + 1;
  while (start <= end) {
    let stop = start;
    while (stop < end && url[stop] !== '&' && url[stop] !== ';') stop++;
    const equals = url.indexOf('=', start);
    if (equals !== -1 && equals < stop) {
      const raw = url.slice(start, equals);
      let name = raw;
      try {
        name = decodeURIComponent(raw.replace(/\+/g, ' '));
      } catch {
        // A malformed escape: judged as written.
      }
      const value = url.slice(equals + 1, stop);
      if (value !== '' && !PLACEHOLDER.test(value) && isCredentialParameter(name)) found.push({ name, nameStart: start, span: [equals + 1, stop] });
    }
    start = stop + 1;
  }
  return found;
}

/**
 * Where a `url:` scalar's source text (as written, quotes and all) holds a secret: the password of
 * `user:password@` and each literal credential query value, as [start, end) in that source.
 */
function urlSecretSpans(source: string): [number, number][] {
  // A quoted URL is read inside its quotes; its escapes stay as written, and are masked with the value.
  const quoted = source.startsWith('"') || source.startsWith("'");
  const inner = quoted ? source.slice(1, source.endsWith(source[0]!) && source.length > 1 ? -1 : undefined) : source;
  const shift = quoted ? 1 : 0;
  const spans: [number, number][] = [];
  const password = urlPasswordSpan(inner);
  if (password) spans.push(password);
  for (const { span } of literalCredentialParameters(inner)) spans.push(span);
  return spans.map(([start, end]) => [start + shift, end + shift]);
}

/** A cheap test that skips the walk for the many files that cannot hold a secret value. */
function mayHoldSecrets(text: string): boolean {
  return text.includes('signingSecret') || text.includes('secrets') || text.includes('headers') || /:\/\/[^\s/@]*@/.test(text) || /:\/\/[^\s?]*\?/.test(text);
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
 * credential-bearing `headers`, and passwords and credential query values inside any `url`.
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
          for (const [start, end] of urlSecretSpans(text.slice(range[0], range[1]))) spans.push([range[0] + start, range[0] + end]);
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
        for (const [start, end] of urlSecretSpans(text.slice(range[0], range[1]))) spans.push([range[0] + start, range[0] + end]);
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
