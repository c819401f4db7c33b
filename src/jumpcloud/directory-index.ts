// Names <-> ids over the live directory: user groups, users (by email or username) and applications
// (by label), compared after NFC and case-folding. Unknown names are collected, never thrown.
import { closestName, nameKey } from '../config/names.js';
import { keepShape, keepShapesOf } from './shape-keeper.js';
import type { WireApplication, WireSystemUser, WireUserGroup } from './wire.js';

export interface Directory {
  groups: readonly WireUserGroup[];
  users: readonly WireSystemUser[];
  applications: readonly WireApplication[];
}

export interface ResolvedName {
  id: string;
  name: string;
  /** Set for a user the directory marks suspended: such a user can approve nothing. */
  suspended?: true;
}

/** Name <-> id lookups over the live directory, by NFC + case-folded name. */
export class DirectoryIndex {
  private readonly groupsByKey = new Map<string, ResolvedName>();
  private readonly groupsById = new Map<string, ResolvedName>();
  private readonly usersByKey = new Map<string, ResolvedName>();
  private readonly usersById = new Map<string, ResolvedName>();
  private readonly appsByKey = new Map<string, ResolvedName>();
  private readonly appsById = new Map<string, ResolvedName>();

  constructor(directory: Directory) {
    // The first items of each list keep their hidden classes between plans: the shape checks of
    // every list item are optimised for them too (shape-keeper.ts). Applications are read without
    // their config (live.ts); a channel, which holds header values, is never kept.
    keepShapesOf('WireUserGroup', directory.groups);
    keepShapesOf('WireSystemUser', directory.users);
    keepShapesOf('WireApplication', directory.applications);
    for (const group of directory.groups) {
      const entry = { id: group.id, name: group.name };
      this.groupsByKey.set(nameKey(group.name), entry);
      this.groupsById.set(group.id, entry);
    }
    for (const user of directory.users) {
      // A user is named by email where there is one: it is what the config most often says.
      const entry: ResolvedName = { id: user._id, name: user.email ?? user.username ?? user._id };
      if (user.state === 'SUSPENDED') entry.suspended = true;
      for (const handle of [user.email, user.username]) if (handle) this.usersByKey.set(handle.toLowerCase(), entry);
      this.usersById.set(user._id, entry);
    }
    for (const app of directory.applications) {
      const entry = { id: app._id, name: app.displayLabel ?? app.name ?? app._id };
      for (const label of [app.displayLabel, app.name]) if (label && !this.appsByKey.has(nameKey(label))) this.appsByKey.set(nameKey(label), entry);
      this.appsById.set(app._id, entry);
    }
  }

  group(name: string): ResolvedName | undefined {
    return this.groupsByKey.get(nameKey(name));
  }
  groupById(id: string): ResolvedName | undefined {
    return this.groupsById.get(id);
  }
  user(handle: string): ResolvedName | undefined {
    return this.usersByKey.get(handle.toLowerCase());
  }
  userById(id: string): ResolvedName | undefined {
    return this.usersById.get(id);
  }
  application(name: string): ResolvedName | undefined {
    return this.appsByKey.get(nameKey(name));
  }
  applicationById(id: string): ResolvedName | undefined {
    return this.appsById.get(id);
  }
  /** A likely intended name for one that does not exist: a group name, a user's email or username, an application label. */
  suggest(what: UnknownReference['what'], name: string): string | undefined {
    const names = what === 'group' ? this.groupsByKey.values() : what === 'user' ? this.usersByKey.keys() : this.appsByKey.values();
    return closestName(
      name,
      [...names].map((n) => (typeof n === 'string' ? n : n.name)),
    );
  }
}

/** Where a name in the config was written, so an unknown reference can say so. */
export type ReferencePath = readonly (string | number)[];

export interface UnknownReference {
  what: 'group' | 'user' | 'application';
  name: string;
  path: ReferencePath;
  /** A close name that does exist, for "did you mean". */
  suggestion?: string;
}

/**
 * Resolves the names desired objects use: live groups (or groups the repo will create), users by
 * email or username, applications by label. Unknown names are collected, not thrown.
 */
export class NameResolver {
  readonly unknown: UnknownReference[] = [];
  /** Approvers named in the config whom the directory marks suspended, with where they are written. */
  readonly suspended: { name: string; path: ReferencePath }[] = [];
  /** The live id of every name resolved so far, by the name the model uses. */
  readonly ids: { groups: Record<string, string>; users: Record<string, string>; applications: Record<string, string> } = {
    groups: {},
    users: {},
    applications: {},
  };
  /** Group names as written that resolved, to what they resolved to (unknown ones are not kept: each is reported where it is written). */
  private readonly groupsResolved = new Map<string, string>();

  constructor(
    private readonly index: DirectoryIndex,
    /** Groups the repo declares with create: true, by name key -> name as written. */
    private readonly groupsToCreate: ReadonlyMap<string, string>,
    /** False when the directory lists could not be read: then every name looks unknown. */
    readonly directoryKnown: boolean = true,
  ) {}

  /**
   * The name a group is known by (live, or declared with create: true), or undefined: then the
   * caller reports it with unknownGroup(). Two calls, not one taking the path, so that a mapping
   * run over 10,000 flows builds the path of a reference only for a name that did not resolve.
   */
  knownGroup(name: string): string | undefined {
    // Most flows name the same few groups: each name as written is looked up once.
    const resolved = this.groupsResolved.get(name);
    if (resolved !== undefined) return resolved;
    const live = this.index.group(name);
    if (live) {
      this.ids.groups[live.name] = live.id;
      this.groupsResolved.set(name, live.name);
      return live.name;
    }
    const planned = this.groupsToCreate.get(nameKey(name));
    if (planned !== undefined) this.groupsResolved.set(name, planned);
    return planned;
  }

  /** Records a group name that did not resolve, with where it is written; returns it as written. */
  unknownGroup(name: string, path: ReferencePath): string {
    this.miss('group', name, path);
    return name;
  }

  user(handle: string, path: ReferencePath): string {
    const live = this.index.user(handle);
    if (live) {
      this.ids.users[live.name] = live.id;
      if (live.suspended) this.suspended.push({ name: live.name, path });
      return live.name;
    }
    this.miss('user', handle, path);
    return handle;
  }

  application(name: string, path: ReferencePath): string {
    const live = this.index.application(name);
    if (live) {
      this.ids.applications[live.name] = live.id;
      return live.name;
    }
    this.miss('application', name, path);
    return name;
  }

  private miss(what: UnknownReference['what'], name: string, path: ReferencePath): void {
    const suggestion = this.index.suggest(what, name);
    this.unknown.push({ what, name, path, ...(suggestion === undefined ? {} : { suggestion }) });
  }
}

// One of each, empty, made as every plan makes them: their hidden classes outlive any plan's (shape-keeper.ts).
keepShape('NameResolver', new NameResolver(new DirectoryIndex({ groups: [], users: [], applications: [] }), new Map()));
