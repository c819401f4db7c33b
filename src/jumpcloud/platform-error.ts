// The error a platform call ends in: the HTTP status, JumpCloud's own message and its per-field
// details (a few in the one-line message, more in the report), never the key or a secret that was
// sent. Everything the platform said is bounded and stripped of control characters.
import { AccessctlError } from '../errors.js';
import { UNPRINTABLE_CLASS } from '../protocols/unprintable.js';

/** At most this many of the platform's details are shown in the report; the rest are counted. */
export const maxShownDetails = 20;
/** Each message and detail is cut to this many characters. */
export const maxPlatformTextLength = 500;
/** The one-line message (what apply, events and the console show) carries at most this many details... */
export const maxInlineDetails = 5;
/** ...each cut to this many characters. */
export const maxInlineDetailLength = 160;
/** What a secret that was sent reads as when the platform's answer repeats it. */
export const REDACTED_SECRET = '[redacted]';

// Controls (escape sequences could rewrite the terminal) and the invisible text-direction marks
// that could make a message read differently from what it says: the class every output shares.
const UNPRINTABLE = new RegExp(`[${UNPRINTABLE_CLASS}]+`, 'gu');

/** Text from the platform made safe to print on one line: no control characters, at most `max` characters. */
export function printableText(text: string, max = maxPlatformTextLength): string {
  const clean = text.replace(UNPRINTABLE, ' ').replace(/ {2,}/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

// Names of fields that hold secrets, in what accessctl sends (signingSecret, sensitiveValues,
// a header's value marked sensitive) and in what the platform says about them.
const SECRET_FIELD = /secret|sensitive|password|passphrase|token|credential|authori[sz]ation|api[-_]?key|private/i;
// Shorter values are not redacted: replacing every "ab" in a message would garble it, and so short a value is no secret.
const MIN_REDACTED_LENGTH = 4;

/**
 * The secret values in a request body: every string under a secret-named key, and the `value` of
 * any object marked `sensitive: true` (a header). The platform could repeat them in its answer.
 */
export function secretsIn(body: unknown): string[] {
  const found: string[] = [];
  const all = (value: unknown, depth: number): void => {
    if (typeof value === 'string') found.push(value);
    else if (value !== null && typeof value === 'object' && depth < 16) for (const item of Object.values(value)) all(item, depth + 1);
  };
  const walk = (value: unknown, depth: number): void => {
    if (value === null || typeof value !== 'object' || depth >= 16) return;
    const record = value as Record<string, unknown>;
    if (record['sensitive'] === true) all(record['value'], depth + 1);
    for (const [key, item] of Object.entries(record)) {
      if (SECRET_FIELD.test(key)) all(item, depth + 1);
      else walk(item, depth + 1);
    }
  };
  walk(body, 0);
  return found;
}

// A run of the platform's text this long that begins or ends a secret, and stops at the edge of a
// word, is taken for a cut piece of it ("Bearer planted…"): shorter runs say little of a secret,
// and a run that stops inside a word ("x-sandbox-act-as" against a key "sandbox-d…") is a coincidence.
const MIN_PIECE_LENGTH = 8;
const WORD = /[A-Za-z0-9]/;
// Longer strings are cut before they are searched: printableText shows far fewer characters anyway.
const MAX_SEARCHED_LENGTH = 8 * 1024;

/** The spans of `text` that are the beginning or the end of `secret`, at least MIN_PIECE_LENGTH long. */
function pieceSpans(text: string, secret: string): [number, number][] {
  const spans: [number, number][] = [];
  for (let i = 0; i < text.length; i++) {
    let head = 0;
    while (head < secret.length && i + head < text.length && text[i + head] === secret[head]) head++;
    if (head >= MIN_PIECE_LENGTH && !WORD.test(text[i + head] ?? '')) spans.push([i, i + head]);
    let tail = 0;
    while (tail < secret.length && i - tail >= 0 && text[i - tail] === secret[secret.length - 1 - tail]) tail++;
    if (tail >= MIN_PIECE_LENGTH && !WORD.test(text[i - tail] ?? '')) spans.push([i - tail + 1, i + 1]);
  }
  return spans;
}

/** Takes every secret out of one string: whole occurrences (longest first), then any cut piece of one. */
function redactText(text: string, secrets: readonly string[]): string {
  let out = text.length > MAX_SEARCHED_LENGTH ? text.slice(0, MAX_SEARCHED_LENGTH) : text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED_SECRET);
  const spans = secrets.flatMap((secret) => pieceSpans(out, secret)).sort((a, b) => a[0] - b[0]);
  if (spans.length === 0) return out;
  let redacted = '';
  let at = 0;
  for (const [from, to] of spans) {
    if (to <= at) continue;
    if (from >= at) redacted += `${out.slice(at, from)}${REDACTED_SECRET}`;
    at = to;
  }
  return redacted + out.slice(at);
}

/** Every string of `value`, at any depth, keys included, with the secrets taken out. */
function withoutSecrets(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (secrets.length === 0) return value;
  if (typeof value === 'string') return redactText(value, secrets);
  if (value === null || typeof value !== 'object' || depth >= 16) return value;
  if (Array.isArray(value)) return value.map((item) => withoutSecrets(item, secrets, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [redactText(key, secrets), withoutSecrets(item, secrets, depth + 1)]));
}

/**
 * A detail about a secret field may quote what was sent, whole or in part (a prefix, a cut value),
 * which redacting exact values does not catch: its quoted text is not shown at all.
 */
function aboutSecret(field: string, message: string): string {
  return SECRET_FIELD.test(field) ? message.replace(/"[^"]*"|'[^']*'|`[^`]*`/g, REDACTED_SECRET) : message;
}

/** One platform detail as `field: message`; JumpCloud sends {field, message}, anything else is shown as JSON. */
function detailLine(detail: unknown, max: number): string {
  if (typeof detail === 'string') return printableText(detail, max);
  if (detail !== null && typeof detail === 'object') {
    const record = detail as Record<string, unknown>;
    const field = typeof record['field'] === 'string' ? record['field'] : undefined;
    const message = typeof record['message'] === 'string' ? record['message'] : undefined;
    if (message !== undefined) return printableText(field === undefined || field === '' ? message : `${field}: ${aboutSecret(field, message)}`, max);
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(detail);
  } catch {
    json = undefined;
  }
  return printableText(json ?? String(detail), max);
}

/** The platform's details as printable lines, at most `count` of them (the rest counted), each at most `length` characters. */
export function detailLines(details: unknown, count = maxShownDetails, length = maxPlatformTextLength): string[] {
  if (details === undefined || details === null) return [];
  const list = Array.isArray(details) ? details : [details];
  const lines = list
    .slice(0, count)
    .map((detail) => detailLine(detail, length))
    .filter((line) => line !== '');
  if (list.length > count) lines.push(`… and ${list.length - count} more`);
  return lines;
}

/**
 * What a call is called in messages: the concrete path when it is known, else the route with each
 * `{param}` elided, so a message never shows a raw template such as `/approvalflowrequest/{id}`.
 */
function shownPath(route: string, path: string | undefined): string {
  if (path !== undefined) return printableText(path.split('?')[0] ?? path);
  return route.replace(/\{\w+\}/g, '…');
}

export class PlatformError extends AccessctlError {
  readonly status: number | undefined;
  readonly method: string;
  readonly route: string;
  /** The concrete path that was called (no query string), when the caller knew it. */
  readonly path: string | undefined;
  /** The platform's own message, printable. */
  readonly reason: string;
  /** JumpCloud's `details` for a 400, when it sent any, as it sent them but for any secret that was sent. */
  readonly details: unknown;
  /** The first line without the details: method, path, status and the platform's message. */
  readonly summary: string;
  /** When no answer came: undici's or Node's code for why (UND_ERR_HEADERS_TIMEOUT, ECONNREFUSED), for a debug log; the message says it in words. */
  readonly networkCode: string | undefined;
  /** True when the call was not finished because its caller stopped (the client's `stop`): not the platform's doing. */
  readonly stopped: boolean;
  /**
   * For a stopped call: whether a write it sent may have been carried out. False when nothing went
   * out (a read, or a write's first try held at the 429 gate) or every try was refused unprocessed (429).
   */
  readonly mayHaveLanded: boolean;

  /**
   * `secrets`: values that were sent (the key, secret fields of the body); the platform's message
   * and details never show them. The message is the summary followed by the first few details in
   * parentheses, so every place that shows an error's message shows why the platform refused.
   */
  constructor(init: {
    method: string;
    route: string;
    path?: string;
    status?: number;
    message: string;
    details?: unknown;
    cause?: unknown;
    secrets?: readonly string[];
    networkCode?: string;
    stopped?: boolean;
    /** Only for a stopped call; unsaid, a stopped call may have landed (the safe guess). */
    mayHaveLanded?: boolean;
  }) {
    const secrets = [...new Set(init.secrets ?? [])].filter((s) => s.length >= MIN_REDACTED_LENGTH).sort((a, b) => b.length - a.length);
    const what = init.status === undefined ? 'failed' : `answered ${init.status}`;
    const reason = printableText(withoutSecrets(init.message, secrets) as string);
    const details = withoutSecrets(init.details, secrets);
    const summary = `${init.method} ${shownPath(init.route, init.path)} ${what}: ${reason}`;
    const inline = detailLines(details, maxInlineDetails, maxInlineDetailLength);
    const message = inline.length === 0 ? summary : `${summary} (${inline.join('; ')})`;
    super('platform', message, init.cause === undefined ? {} : { cause: init.cause });
    this.name = 'PlatformError';
    this.status = init.status;
    this.method = init.method;
    this.route = init.route;
    this.path = init.path;
    this.reason = reason;
    this.details = details;
    this.summary = summary;
    this.networkCode = init.networkCode;
    this.stopped = init.stopped ?? false;
    this.mayHaveLanded = this.stopped && (init.mayHaveLanded ?? true);
  }

  /** The same failure, named by the concrete path that was called. */
  at(path: string): PlatformError {
    return this.with({ path });
  }

  /** The same failure with another message (and optionally details), e.g. one that names a flag instead of a wire header. */
  with(changes: { path?: string; message?: string; details?: unknown }): PlatformError {
    const path = changes.path ?? this.path;
    return new PlatformError({
      method: this.method,
      route: this.route,
      ...(path === undefined ? {} : { path }),
      ...(this.status === undefined ? {} : { status: this.status }),
      message: changes.message ?? this.reason,
      details: 'details' in changes ? changes.details : this.details,
      ...(this.cause === undefined ? {} : { cause: this.cause }),
      ...(this.networkCode === undefined ? {} : { networkCode: this.networkCode }),
      stopped: this.stopped,
      mayHaveLanded: this.mayHaveLanded,
    });
  }

  /** The message for a person: the one-line summary, then each of the platform's details on its own indented line. */
  get report(): string {
    return [this.summary, ...detailLines(this.details).map((line) => `  ${line}`)].join('\n');
  }
}
