// Semantic rules for webhooks: a channel has a safe URL whose placeholders are all declared and
// credentials (a password, a credential query parameter, a header) only as secret references; a
// subscription names each channel once, with current event names.
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { objectIdHex } from '../model/object-id.js';
import type { DesiredState } from './desired.js';
import { isLoopbackHost } from '../protocols/loopback.js';
import { isCredentialHeader, literalCredentialParameters, urlPasswordSpan, type LiteralCredentialParameter } from './secrets.js';
import type { AccessRequestSettings, WebhookChannelSpec } from './kinds.generated.js';
import { nameKey } from './names.js';
import type { Loose } from './salvage.js';
import { diagnosticAt, diagnosticFor, findSpan, type DocPath, type SourceDocument, type Span } from './source.js';

export const LEGACY_EVENT_NAMES: Readonly<Record<string, string>> = {
  access_management_workflow_create: 'access_management_approval_flow_create',
  access_management_workflow_update: 'access_management_approval_flow_update',
  access_management_workflow_delete: 'access_management_approval_flow_delete',
};

// Set by the delivering platform itself, or hop-by-hop: a static header must not override them.
const RESERVED_HEADERS = new Set([
  'content-type',
  'content-length',
  'host',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
// An HTTP header value is visible Latin-1 text, spaces and tabs (RFC 9110 field-value).
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/**
 * Where `name=value` of a URL's query lies in the file, when the URL is written as it reads (plain,
 * or quoted without escapes: the source is as long as the value); else undefined, and the finding
 * points at the whole URL.
 */
function parameterSpan(source: SourceDocument, urlPath: DocPath, url: string, parameter: LiteralCredentialParameter): Span | undefined {
  const written = findSpan(source.doc, urlPath);
  if (written === undefined) return undefined;
  // The display text has secrets masked, never moved: its lengths are the file's.
  const text = source.file.displayText.slice(written.start, written.end);
  const quoted = (text.startsWith('"') || text.startsWith("'")) && text.length === url.length + 2;
  if (!quoted && text.length !== url.length) return undefined;
  const shift = written.start + (quoted ? 1 : 0);
  return { start: shift + parameter.nameStart, end: shift + parameter.span[1] };
}

/** A placeholder name to suggest for a secret named `name`: upper case, words joined by _. */
function placeholderName(name: string): string {
  const upper = name
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return /^[A-Z]/.test(upper) ? upper : `SECRET_${upper}`.replace(/_+$/, '');
}

export function placeholdersIn(url: string): string[] {
  return [...url.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

export function checkWebhooks(state: DesiredState, diagnostics: Diagnostic[]): void {
  checkChannels(state, diagnostics);
  checkSubscriptions(state, diagnostics);
}

function checkChannels(state: DesiredState, diagnostics: Diagnostic[]): void {
  const allowLoopbackHttp = state.project?.object.spec?.policy?.allowHttpLoopbackWebhooks === true;
  for (const { object, source } of state.channels) {
    // A channel may be the valid parts of one that breaks its schema (salvage.ts): a rule reads only the fields that are there.
    const spec: Loose<WebhookChannelSpec> | undefined = object.spec;
    if (spec === undefined) continue;
    const url = spec.url ?? '';
    const urlPath = ['spec', 'url'];
    const secrets = spec.secrets ?? {};
    const used = new Set<string>();
    for (const name of placeholdersIn(url)) {
      used.add(name);
      if (!(name in secrets)) {
        diagnostics.push(
          diagnosticFor(source, urlPath, 'error', 'undeclared-placeholder', `the URL uses {{${name}}} but spec.secrets does not declare ${name}`),
        );
      }
    }
    for (const name of Object.keys(secrets)) {
      if (!used.has(name)) {
        diagnostics.push(
          diagnosticFor(source, ['spec', 'secrets', name], 'warning', 'unused-secret', `secret ${name} is not used as {{${name}}} in the URL`, 'key'),
        );
      }
    }
    const password = urlPasswordSpan(url);
    if (password && placeholdersIn(url.slice(password[0], password[1])).length === 0) {
      diagnostics.push(
        diagnosticFor(
          source,
          urlPath,
          'error',
          'literal-secret',
          'the URL holds a literal password; use a placeholder such as https://user:{{PASSWORD}}@host/ with spec.secrets',
        ),
      );
    }
    for (const parameter of literalCredentialParameters(url)) {
      const { name } = parameter;
      const message = `the URL's query parameter ${JSON.stringify(name)} carries a credential written out in git; use a placeholder such as ?${name}={{${placeholderName(name)}}} with spec.secrets`;
      const at = parameterSpan(source, urlPath, url, parameter);
      diagnostics.push(
        at === undefined
          ? diagnosticFor(source, urlPath, 'error', 'literal-secret', message)
          : diagnosticAt(source.file, at, 'error', 'literal-secret', message, urlPath),
      );
    }
    let parsed: URL | undefined;
    try {
      if (spec.url !== undefined) parsed = new URL(url.replace(PLACEHOLDER, 'placeholder'));
    } catch {
      diagnostics.push(diagnosticFor(source, urlPath, 'error', 'invalid-url', 'the URL is not a valid absolute URL'));
    }
    if (parsed && parsed.protocol !== 'https:') {
      const loopback = parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname);
      if (!loopback) {
        diagnostics.push(
          diagnosticFor(source, urlPath, 'error', 'insecure-url', 'webhook URLs must use https:// (http:// is allowed only for loopback hosts)'),
        );
      } else if (!allowLoopbackHttp) {
        diagnostics.push(
          diagnosticFor(
            source,
            urlPath,
            'error',
            'insecure-url',
            'http:// to a loopback host needs spec.policy.allowHttpLoopbackWebhooks: true in the Project',
          ),
        );
      }
    }
    if (spec.verifySsl === false) {
      diagnostics.push(diagnosticFor(source, ['spec', 'verifySsl'], 'warning', 'tls-unverified', "deliveries will not check the receiver's TLS certificate"));
    }
    const headerNames = new Map<string, string>();
    for (const [name, value] of Object.entries(spec.headers ?? {})) {
      const lower = name.toLowerCase();
      const path = ['spec', 'headers', name];
      const earlier = headerNames.get(lower);
      if (earlier !== undefined) {
        diagnostics.push(diagnosticFor(source, path, 'error', 'duplicate-header', `header ${name} repeats ${earlier}: header names ignore case`, 'key'));
      }
      headerNames.set(lower, name);
      if (RESERVED_HEADERS.has(lower)) {
        diagnostics.push(
          diagnosticFor(source, path, 'error', 'reserved-header', `header ${name} is set by the platform on every delivery and cannot be overridden`, 'key'),
        );
      }
      if (typeof value === 'string' && isCredentialHeader(name)) {
        diagnostics.push(
          diagnosticFor(
            source,
            path,
            'error',
            'literal-secret',
            `header ${name} carries a credential, so its value must be a secret reference such as {env: ${name.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}}, never a literal`,
          ),
        );
      }
      if (typeof value === 'string' && !HEADER_VALUE.test(value)) {
        diagnostics.push(
          diagnosticFor(
            source,
            path,
            'error',
            'invalid-header-value',
            `header ${name} must be Latin-1 text without control characters; such a value can never be sent`,
          ),
        );
      }
    }
  }
}

/** Channels named once each, by name or id; event names current and not repeated. */
function checkSubscriptions(state: DesiredState, diagnostics: Diagnostic[]): void {
  const settings = state.settings;
  // The settings may be the valid parts of ones that break their schema (salvage.ts).
  const spec: Loose<AccessRequestSettings['spec']> | undefined = settings?.object.spec;
  const webhooks = spec?.webhooks;
  if (!settings || !webhooks) return;
  const source = settings.source;
  const seen = new Map<string, number>();
  webhooks.forEach((subscription, index) => {
    const base = ['spec', 'webhooks', index];
    // An id is one channel whether written as hex or base64; base64 is case-sensitive, so never case-fold it.
    const channel = subscription.channel;
    const key =
      channel === undefined ? undefined : typeof channel === 'string' ? `name:${nameKey(channel)}` : `id:${objectIdHex(channel.id ?? '') ?? channel.id}`;
    const earlier = key === undefined ? undefined : seen.get(key);
    if (earlier !== undefined) {
      diagnostics.push(
        diagnosticFor(
          source,
          [...base, 'channel'],
          'error',
          'duplicate-channel',
          `this channel is already subscribed at spec.webhooks[${earlier}]; list each channel once`,
        ),
      );
    } else if (key !== undefined) {
      seen.set(key, index);
    }
    checkEvents(source, [...base, 'events'], subscription.events ?? [], diagnostics);
  });
}

function checkEvents(source: SourceDocument, eventsPath: DocPath, events: readonly string[], diagnostics: Diagnostic[]): void {
  const current = new Map<string, number>();
  events.forEach((event, i) => {
    const path = [...eventsPath, i];
    const renamed = LEGACY_EVENT_NAMES[event];
    if (renamed) {
      diagnostics.push(
        diagnosticFor(source, path, 'warning', 'legacy-event', `${event} is the older name of ${renamed}; it is accepted and written as ${renamed}`),
      );
    }
    const name = renamed ?? event;
    // Identical entries are refused by the schema; here only an old and a new spelling can meet.
    const earlier = current.get(name);
    if (earlier !== undefined) {
      diagnostics.push(diagnosticFor(source, path, 'warning', 'duplicate-event', `${event} repeats ${events[earlier]} (item ${earlier})`));
    } else {
      current.set(name, i);
    }
  });
  if (events.includes('*') && events.length > 1) {
    diagnostics.push(
      diagnosticFor(source, eventsPath, 'warning', 'redundant-events', '"*" already subscribes to every event; the other entries add nothing', 'key'),
    );
  }
}
