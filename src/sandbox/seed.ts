// Seeding: reads a directory seed (YAML, checked against schemas/sandbox-seed.schema.json),
// applies it to an empty database in one transaction, and bootstraps the key printed at start-up.
// The file is read within a bound (a regular file, at most MAX_SEED_BYTES) and its YAML may not nest
// deeper than MAX_SEED_DEPTH or use aliases, so a hostile seed is a usage error, not a crash.
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { type CST, Composer, type Document, LineCounter, Parser, visit } from 'yaml';
import { AccessctlError } from '../errors.js';
import { addApiKey, generateKey, keyExists } from './auth.js';
import { insertApplication } from './applications.js';
import { insertGroupApplication } from './associations.js';
import { channelBodyProblems, insertChannel } from './channels.js';
import { insertMember } from './group-members.js';
import { insertGroup } from './user-groups.js';
import { findUserByLogin, insertUser, type UserState } from './users.js';
import { ensureSettings } from './settings.js';
import type { SandboxStore } from './store.js';
import { describeSeedErrors } from './seed-schema-errors.js';

export interface SeedUser {
  username: string;
  email: string;
  firstname: string;
  lastname: string;
  department?: string;
  jobTitle?: string;
  manager?: string;
  state?: UserState;
  apiKey?: string;
}

/** A notification channel that exists before any config runs, as if made in the console. */
export interface SeedChannel {
  /** Kept as given, so config can refer to the channel by id; generated when omitted. */
  id?: string;
  name: string;
  url: string;
  enabled?: boolean;
  verifySsl?: boolean;
  /** Static (non-sensitive) headers by name. */
  headers?: Record<string, string>;
  /** Values of the URL's {{placeholders}}; write-only once seeded. */
  sensitiveValues?: Record<string, string>;
  signingSecret?: string;
}

export interface SeedOrganization {
  id?: string;
  name: string;
  users?: SeedUser[];
  groups?: { name: string; description?: string; members?: string[] }[];
  applications?: { name: string; displayLabel: string; description?: string; ssoUrl?: string; groups?: string[] }[];
  channels?: SeedChannel[];
}

export interface SeedFile {
  organizations: SeedOrganization[];
  adminKeys?: { name: string; email: string; key: string; organizations?: string[] }[];
}

const schemaUrl = new URL('../../schemas/sandbox-seed.schema.json', import.meta.url);

function seedError(file: string, message: string): AccessctlError {
  return new AccessctlError('usage', `--seed ${file}: ${message}`, { subject: '--seed' });
}

/** The largest seed file read: as large as `accessctl test --directory` takes a directory snapshot. */
export const MAX_SEED_BYTES = 64 * 1024 * 1024;
/** The deepest nesting a seed's YAML may have (a seed needs about five levels). */
export const MAX_SEED_DEPTH = 32;

/**
 * The bytes of the seed file, or why they are refused: anything but a regular file (a device such as
 * /dev/zero, a FIFO, a directory) before a read, a file larger than the bound before a read, and a
 * file that grows past the bound while read (or that fstat calls small, as procfs does) once
 * MAX_SEED_BYTES + 1 bytes are in. O_NONBLOCK keeps a FIFO from blocking the open.
 */
function readSeedBytes(file: string): Buffer {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    throw new AccessctlError(code === 'ENOENT' ? 'not-found' : 'io', `--seed: cannot read seed file ${file} (${code})`, { cause: error, subject: '--seed' });
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw seedError(file, 'is not a regular file');
    if (info.size > MAX_SEED_BYTES) throw seedError(file, `is larger than ${MAX_SEED_BYTES / (1024 * 1024)} MiB (${info.size} bytes)`);
    // Sized by fstat and grown only if the file turns out longer, never past the bound + 1.
    let buffer = Buffer.allocUnsafe(Math.min(MAX_SEED_BYTES + 1, Math.max(info.size + 1, 64 * 1024)));
    let length = 0;
    while (length < MAX_SEED_BYTES + 1) {
      if (length === buffer.length) {
        const grown = Buffer.allocUnsafe(Math.min(MAX_SEED_BYTES + 1, buffer.length * 2));
        buffer.copy(grown, 0, 0, length);
        buffer = grown;
      }
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    if (length > MAX_SEED_BYTES) throw seedError(file, `is larger than ${MAX_SEED_BYTES / (1024 * 1024)} MiB`);
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

/** The first collection nested deeper than MAX_SEED_DEPTH, walked without recursion so the nesting cannot exhaust the stack. */
function tooDeep(tokens: readonly CST.Token[]): CST.Token | undefined {
  const stack: { token: CST.Token; depth: number }[] = tokens.map((token) => ({ token, depth: 0 }));
  while (stack.length > 0) {
    const { token, depth } = stack.pop()!;
    if (token.type === 'document') {
      if (token.value) stack.push({ token: token.value, depth });
    } else if (token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection') {
      if (depth + 1 > MAX_SEED_DEPTH) return token;
      for (const item of token.items) {
        if ('key' in item && item.key) stack.push({ token: item.key, depth: depth + 1 });
        if (item.value) stack.push({ token: item.value, depth: depth + 1 });
      }
    }
  }
  return undefined;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The seed's one YAML document, refusing what a seed has no use for: bad UTF-8, deep nesting, several documents, aliases. */
function parseSeedYaml(file: string, bytes: Uint8Array): { document: Document.Parsed; lines: LineCounter } {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    throw seedError(file, 'is not valid UTF-8');
  }
  const lines = new LineCounter();
  const tokens = [...new Parser(lines.addNewLine).parse(text)];
  const deep = tooDeep(tokens);
  if (deep !== undefined) {
    const { line, col } = lines.linePos('offset' in deep ? deep.offset : 0);
    throw seedError(file, `${line}:${col}: nesting is deeper than ${MAX_SEED_DEPTH} levels`);
  }
  const documents = [...new Composer().compose(tokens, true, text.length)];
  if (documents.length > 1) throw seedError(file, `must hold one YAML document (it holds ${documents.length})`);
  const document = documents[0];
  if (document === undefined) throw seedError(file, 'is empty');
  if (document.errors.length > 0) {
    const at = (offset: number): string => {
      const { line, col } = lines.linePos(offset);
      return `${line}:${col}`;
    };
    throw seedError(file, document.errors.map((e) => `${at(e.pos[0])}: ${e.message}`).join('\n'));
  }
  // An alias repeats a subtree without writing it out: a few hundred bytes can stand for billions of nodes.
  let alias: { source: string; offset: number } | undefined;
  visit(document, {
    Alias(_, node) {
      alias = { source: node.source, offset: node.range?.[0] ?? 0 };
      return visit.BREAK;
    },
  });
  if (alias !== undefined) {
    const { line, col } = lines.linePos(alias.offset);
    throw seedError(file, `${line}:${col}: aliases (*${alias.source}) are not allowed: write the value out in full`);
  }
  return { document, lines };
}

/** Reads and checks a seed file: its size and type, YAML syntax, the JSON Schema, then references between entries. */
export function loadSeed(file: string): SeedFile {
  const { document, lines } = parseSeedYaml(file, readSeedBytes(file));
  const data: unknown = document.toJS({ maxAliasCount: 0 });
  // verbose: each error carries its schema, so an unknown property's message lists the allowed ones.
  const ajv = new Ajv2020({ allErrors: true, strict: true, verbose: true });
  addFormats.default(ajv);
  const validate = ajv.compile(JSON.parse(readFileSync(schemaUrl, 'utf8')) as object);
  if (!validate(data)) {
    const problems = describeSeedErrors(file, validate.errors ?? [], document, lines);
    throw seedError(file, `does not match the seed schema:\n  ${problems.join('\n  ')}`);
  }
  const seed = data as SeedFile;
  const problems = checkReferences(seed);
  if (problems.length > 0) throw seedError(file, problems.join('\n  '));
  return seed;
}

function checkReferences(seed: SeedFile): string[] {
  const problems: string[] = [];
  const orgKeys = new Set<string>();
  const channelIds = new Set<string>();
  for (const org of seed.organizations) {
    for (const key of [org.name, org.id]) {
      if (key === undefined) continue;
      if (orgKeys.has(key)) problems.push(`organization ${key} appears twice`);
      orgKeys.add(key);
    }
    const logins = new Set<string>();
    for (const user of org.users ?? []) {
      for (const login of [user.username, user.email]) {
        if (logins.has(login)) problems.push(`${org.name}: user ${login} appears twice`);
        logins.add(login);
      }
    }
    for (const user of org.users ?? []) {
      if (user.manager !== undefined && !logins.has(user.manager)) problems.push(`${org.name}: ${user.username}'s manager ${user.manager} is not a user`);
      if (user.manager === user.username || user.manager === user.email) problems.push(`${org.name}: ${user.username} cannot manage themself`);
    }
    const groups = new Set<string>();
    for (const group of org.groups ?? []) {
      if (groups.has(group.name)) problems.push(`${org.name}: group ${group.name} appears twice`);
      groups.add(group.name);
      for (const member of group.members ?? []) {
        if (!logins.has(member)) problems.push(`${org.name}: group ${group.name}'s member ${member} is not a user`);
      }
    }
    for (const app of org.applications ?? []) {
      for (const group of app.groups ?? []) {
        if (!groups.has(group)) problems.push(`${org.name}: application ${app.name}'s group ${group} is not a group`);
      }
    }
    const channelNames = new Set<string>();
    for (const channel of org.channels ?? []) {
      if (channelNames.has(channel.name)) problems.push(`${org.name}: channel ${channel.name} appears twice`);
      channelNames.add(channel.name);
      if (channel.id !== undefined) {
        if (channelIds.has(channel.id)) problems.push(`${org.name}: channel id ${channel.id} appears twice`);
        channelIds.add(channel.id);
      }
      // The same checks as the channel API: a seeded channel could have been made with it.
      for (const detail of channelBodyProblems(channelBody(channel))) {
        problems.push(`${org.name}: channel ${channel.name}: ${detail.field} ${detail.message}`);
      }
    }
  }
  const keys = new Set<string>();
  const allKeys = [
    ...(seed.adminKeys ?? []).map((k) => k.key),
    ...seed.organizations.flatMap((org) => (org.users ?? []).flatMap((u) => (u.apiKey === undefined ? [] : [u.apiKey]))),
  ];
  for (const key of allKeys) {
    // Say that it happened, never which key it is.
    if (keys.has(key)) problems.push('an API key appears more than once (admin and user keys must all differ)');
    keys.add(key);
  }
  for (const admin of seed.adminKeys ?? []) {
    for (const org of admin.organizations ?? []) {
      if (!orgKeys.has(org)) problems.push(`admin key ${admin.name} names organization ${org}, which is not in the seed`);
    }
  }
  return problems;
}

/** A seed channel as the channel API's write body (headers become non-sensitive header entries). */
function channelBody(channel: SeedChannel): Record<string, unknown> {
  return {
    name: channel.name,
    url: channel.url,
    ...(channel.enabled === undefined ? {} : { enabled: channel.enabled }),
    ...(channel.verifySsl === undefined ? {} : { verifySsl: channel.verifySsl }),
    headers: Object.entries(channel.headers ?? {}).map(([name, value]) => ({ name, value, sensitive: false })),
    sensitiveValues: channel.sensitiveValues ?? {},
    ...(channel.signingSecret === undefined ? {} : { signingSecret: channel.signingSecret }),
  };
}

function hasOrganizations(store: SandboxStore): boolean {
  return store.stmt('SELECT 1 FROM orgs LIMIT 1').get() !== undefined;
}

export function createOrganization(store: SandboxStore, name: string, id?: string): string {
  const orgId = id ?? store.newId();
  store.stmt('INSERT INTO orgs (id, name, created_at) VALUES (?, ?, ?)').run(orgId, name, store.clock.nowIso());
  ensureSettings(store, orgId, 'sandbox');
  return orgId;
}

/** Applies the seed to an empty database; a database that has any organization is left untouched. */
export function applySeed(store: SandboxStore, seed: SeedFile): boolean {
  return store.transaction(() => {
    if (hasOrganizations(store)) return false;
    const orgIdByKey = new Map<string, string>();
    for (const org of seed.organizations) {
      const orgId = createOrganization(store, org.name, org.id);
      orgIdByKey.set(org.name, orgId);
      orgIdByKey.set(orgId, orgId);
      // Users first without managers, then managers, so a manager may appear after their report.
      const userIds = new Map<string, string>();
      for (const user of org.users ?? []) {
        const created = insertUser(store, orgId, {
          username: user.username,
          email: user.email,
          firstname: user.firstname,
          lastname: user.lastname,
          department: user.department,
          jobTitle: user.jobTitle,
          state: user.state ?? 'ACTIVATED',
        });
        userIds.set(user.username, created._id).set(user.email, created._id);
        if (user.apiKey !== undefined) {
          addApiKey(store, {
            kind: 'user',
            key: user.apiKey,
            name: user.username,
            email: user.email,
            userId: created._id,
            orgIds: [orgId],
          });
        }
      }
      for (const user of org.users ?? []) {
        if (user.manager === undefined) continue;
        const record = findUserByLogin(store, orgId, user.username);
        const managerId = userIds.get(user.manager);
        if (record === undefined || managerId === undefined) continue;
        const updated = { ...record, manager: managerId };
        store.stmt('UPDATE users SET doc = ? WHERE id = ?').run(JSON.stringify(updated), record._id);
      }
      const groupIds = new Map<string, string>();
      for (const group of org.groups ?? []) {
        const created = insertGroup(store, orgId, {
          name: group.name,
          ...(group.description === undefined ? {} : { description: group.description }),
          membershipMethod: 'STATIC',
        });
        groupIds.set(group.name, created.id);
        for (const member of group.members ?? []) {
          const userId = userIds.get(member);
          if (userId !== undefined) insertMember(store, created.id, userId);
        }
      }
      for (const app of org.applications ?? []) {
        const created = insertApplication(store, orgId, {
          name: app.name,
          displayLabel: app.displayLabel,
          description: app.description,
          ssoUrl: app.ssoUrl ?? `https://sso.jumpcloud.com/saml2/${encodeURIComponent(app.name)}`,
        });
        for (const group of app.groups ?? []) {
          const groupId = groupIds.get(group);
          if (groupId !== undefined) insertGroupApplication(store, groupId, created._id);
        }
      }
      for (const channel of org.channels ?? []) insertChannel(store, orgId, channelBody(channel), channel.id);
    }
    for (const admin of seed.adminKeys ?? []) {
      const orgIds = (admin.organizations ?? seed.organizations.map((o) => o.name)).map((key) => orgIdByKey.get(key) ?? key);
      addApiKey(store, { kind: 'admin', key: admin.key, name: admin.name, email: admin.email, orgIds });
    }
    return true;
  });
}

export interface Bootstrap {
  /** Whether this start applied the seed (false: the database already had a directory). */
  seeded: boolean;
  /** An admin key that works against this database, to print. */
  adminKey: string;
  /** Whether adminKey was minted now (printed once; the database keeps only its hash). */
  minted: boolean;
}

/**
 * Makes the database usable: applies the seed when given (to an empty database only), creates an
 * empty "Sandbox" organization when there is none, and picks the admin key to print: the seed's
 * first admin key if the database knows it, else a freshly minted one.
 */
export function bootstrap(store: SandboxStore, seed: SeedFile | undefined): Bootstrap {
  const seeded = seed === undefined ? false : applySeed(store, seed);
  return store.transaction(() => {
    if (!hasOrganizations(store)) createOrganization(store, 'Sandbox');
    const seedKey = seed?.adminKeys?.[0]?.key;
    if (seedKey !== undefined && keyExists(store, seedKey)) return { seeded, adminKey: seedKey, minted: false };
    const key = generateKey();
    const orgIds = (store.stmt('SELECT id FROM orgs ORDER BY id').all() as { id: string }[]).map((row) => row.id);
    addApiKey(store, { kind: 'admin', key, name: 'sandbox session', email: 'admin@sandbox.local', orgIds });
    return { seeded, adminKey: key, minted: true };
  });
}
