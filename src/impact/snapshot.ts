// A directory snapshot file for offline `accessctl test` and `explain`: the sandbox seed format's
// users, managers, groups and members (schemas/sandbox-seed.schema.json), read within a size bound
// with the config parser's YAML hygiene. Keys and channels in the file are ignored, never printed.
import { resolve } from 'node:path';
import { readBounded } from '../config/load.js';
import { parseFile } from '../config/parse.js';
import { schemaValidator } from '../config/schema.js';
import { locate, type DocPath, type SourceDocument } from '../config/source.js';
import { AccessctlError, formatLocation } from '../errors.js';
import type { AccessDirectory, DirectoryUser } from './directory.js';

/** A 10,000-user seed is about 2 MB; this leaves room without reading anything unbounded. */
export const SNAPSHOT_MAX_BYTES = 64 * 1024 * 1024;

interface SeedUser {
  username: string;
  email: string;
  manager?: string;
  state?: 'STAGED' | 'ACTIVATED' | 'SUSPENDED';
}

interface SeedOrganization {
  id?: string;
  name: string;
  users?: SeedUser[];
  groups?: { name: string; members?: string[] }[];
}

export interface SnapshotShape {
  organizations: SeedOrganization[];
}

function snapshotError(message: string, location?: { file: string; line: number; column: number }): AccessctlError {
  return new AccessctlError('usage', message, { subject: '--directory', ...(location === undefined ? {} : { location }) });
}

/**
 * The directory of one organization of a seed-shaped value. `org` picks it by name or id; it may be
 * left out when there is only one. `where` locates a path for error messages.
 */
export function directoryFromSnapshot(data: SnapshotShape, org: string | undefined, where: (path: DocPath) => string): AccessDirectory {
  const organizations = data.organizations;
  let index: number;
  if (org === undefined) {
    if (organizations.length !== 1) {
      const names = organizations
        .slice(0, 10)
        .map((o) => JSON.stringify(o.name))
        .join(', ');
      throw snapshotError(`the snapshot holds ${organizations.length} organizations (${names}); choose one with --org`);
    }
    index = 0;
  } else {
    index = organizations.findIndex((o) => o.name === org || o.id === org);
    if (index < 0) throw snapshotError(`the snapshot has no organization named or with the id ${JSON.stringify(org)}`);
  }
  const organization = organizations[index]!;
  const base: DocPath = ['organizations', index];
  const users = organization.users ?? [];
  // Users are named by username or email in the seed; their username is their id here.
  const byLogin = new Map<string, string>();
  for (const user of users) {
    byLogin.set(user.username, user.username);
    byLogin.set(user.email, user.username);
  }
  const lookup = (login: string, path: DocPath): string => {
    const id = byLogin.get(login);
    if (id === undefined) throw snapshotError(`${where([...base, ...path])}: no user ${JSON.stringify(login)} in the snapshot's users`);
    return id;
  };
  const directoryUsers: DirectoryUser[] = users.map((user, i) => ({
    id: user.username,
    email: user.email,
    username: user.username,
    ...(user.manager === undefined ? {} : { managerId: lookup(user.manager, ['users', i, 'manager']) }),
    active: (user.state ?? 'ACTIVATED') === 'ACTIVATED',
  }));
  const groups = (organization.groups ?? []).map((group, g) => ({
    id: `group:${g}`,
    name: group.name,
    memberIds: (group.members ?? []).map((member, m) => lookup(member, ['groups', g, 'members', m])),
  }));
  return { users: directoryUsers, groups };
}

/** Reads a snapshot file: bounded, YAML hygiene, the seed schema, then the references between entries. */
export function readDirectorySnapshot(file: string, org?: string, cwd: string = process.cwd()): AccessDirectory {
  let read: ReturnType<typeof readBounded>;
  try {
    read = readBounded(resolve(cwd, file), SNAPSHOT_MAX_BYTES);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    throw new AccessctlError(code === 'ENOENT' ? 'not-found' : 'io', `cannot read the directory snapshot ${file} (${code})`, { subject: '--directory' });
  }
  if (!('bytes' in read)) {
    throw snapshotError(read.refused === 'too-large' ? `${file} is larger than ${SNAPSHOT_MAX_BYTES / (1024 * 1024)} MiB` : `${file} is not a regular file`);
  }
  const parsed = parseFile(file, read.bytes);
  const firstError = parsed.diagnostics.find((d) => d.severity === 'error');
  if (firstError !== undefined) throw snapshotError(`${firstError.file}:${firstError.line}:${firstError.column}: ${firstError.message}`);
  if (parsed.documents.length !== 1) throw snapshotError(`${file} must hold exactly one YAML document (it holds ${parsed.documents.length})`);
  const source: SourceDocument = parsed.documents[0]!;
  const validate = schemaValidator('sandbox-seed.schema.json');
  if (!validate(source.data)) {
    const problems = (validate.errors ?? []).slice(0, 5).map((e) => {
      const path =
        e.instancePath === ''
          ? []
          : e.instancePath
              .slice(1)
              .split('/')
              .map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
      const where = e.instancePath === '' ? 'the file' : e.instancePath.slice(1).replace(/\//g, '.');
      // "must NOT have additional properties" names none: name the property, and point at it.
      const extra = e.keyword === 'additionalProperties' ? (e.params as { additionalProperty?: unknown }).additionalProperty : undefined;
      if (typeof extra === 'string') return `${formatLocation(locate(source, [...path, extra], 'key'))}: ${where} has an unknown property "${extra}"`;
      return `${formatLocation(locate(source, path))}: ${where} ${e.message ?? 'is invalid'}`;
    });
    throw snapshotError(`${file} is not a directory snapshot in the seed format (schemas/sandbox-seed.schema.json):\n  ${problems.join('\n  ')}`);
  }
  return directoryFromSnapshot(source.data as unknown as SnapshotShape, org, (path) => formatLocation(locate(source, path)));
}
