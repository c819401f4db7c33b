// The directory as effective access needs it: users (with their managers and whether they can sign
// in), user groups and their members. Read from the platform or a snapshot file, then indexed once.
import { nameKey } from '../config/names.js';

export interface DirectoryUser {
  id: string;
  email: string;
  username: string;
  /** The manager's user id; absent for a user without a manager. */
  managerId?: string;
  /** False for staged or suspended users, who cannot sign in to request or approve. */
  active: boolean;
}

export interface DirectoryGroup {
  id: string;
  name: string;
  /** User ids (ids of users the directory does not list are ignored); absent when not read. */
  memberIds?: readonly string[];
}

/** Users, and every group: with its members when they were read (every group a flow or a test names). */
export interface AccessDirectory {
  users: readonly DirectoryUser[];
  groups: readonly DirectoryGroup[];
}

/** A group in the view: its members as user numbers, sorted, all of them and the active ones. */
export interface ViewGroup {
  name: string;
  members: Int32Array;
  active: Int32Array;
}

const EMPTY = new Int32Array(0);

/**
 * Users numbered 0..n-1 (the numbers are what effective access computes with), lookups by email or
 * username (case-insensitive) and groups by name (NFC and case-folded, as the config compares them).
 */
export class DirectoryView {
  readonly users: readonly DirectoryUser[];
  private readonly byId = new Map<string, number>();
  private readonly byHandle = new Map<string, number>();
  private readonly groups = new Map<string, ViewGroup>();
  private readonly managers: Int32Array;
  /** 1 where the user's manager exists, can sign in and is not the user: who can approve as "the manager". */
  private readonly managerApproves: Uint8Array;
  /** Each user's place in the order of their labels, made on first use: people are listed by it. */
  private order: Int32Array | undefined;

  constructor(directory: AccessDirectory) {
    this.users = directory.users;
    directory.users.forEach((user, i) => {
      this.byId.set(user.id, i);
      for (const handle of [user.username, user.email]) if (handle !== '') this.byHandle.set(handle.toLowerCase(), i);
    });
    this.managers = new Int32Array(directory.users.length).fill(-1);
    directory.users.forEach((user, i) => {
      const manager = user.managerId === undefined ? undefined : this.byId.get(user.managerId);
      if (manager !== undefined) this.managers[i] = manager;
    });
    const active = Uint8Array.from(directory.users, (u) => (u.active ? 1 : 0));
    this.managerApproves = new Uint8Array(directory.users.length);
    for (let i = 0; i < directory.users.length; i++) {
      const m = this.managers[i]!;
      if (m >= 0 && m !== i && active[m] === 1) this.managerApproves[i] = 1;
    }
    // One scratch mark per user, reused for every group: de-duplicates members without a Set.
    const seen = new Int32Array(directory.users.length).fill(-1);
    directory.groups.forEach((group, g) => {
      const ids = group.memberIds ?? [];
      const buffer = new Int32Array(ids.length);
      let count = 0;
      let activeCount = 0;
      for (const id of ids) {
        const n = this.byId.get(id);
        if (n === undefined || seen[n] === g) continue;
        seen[n] = g;
        buffer[count++] = n;
        if (active[n] === 1) activeCount++;
      }
      const members = buffer.subarray(0, count).sort();
      const activeMembers = new Int32Array(activeCount);
      for (let i = 0, k = 0; i < count; i++) if (active[members[i]!] === 1) activeMembers[k++] = members[i]!;
      const key = nameKey(group.name);
      // Two live groups under one name: the one whose members were read is the one a flow uses.
      if (group.memberIds === undefined && this.groups.has(key)) return;
      this.groups.set(key, { name: group.name, members, active: activeMembers });
    });
  }

  /** A user by email or username. */
  user(handle: string): number | undefined {
    return this.byHandle.get(handle.toLowerCase());
  }

  group(name: string): ViewGroup | undefined {
    return this.groups.get(nameKey(name));
  }

  /** The user's manager, when the directory names one that it lists. */
  manager(user: number): number | undefined {
    const m = this.managers[user];
    return m === undefined || m < 0 ? undefined : m;
  }

  /** Whether the user has a manager who can approve for them (exists, can sign in, is not themselves). */
  managerCanApprove(user: number): boolean {
    return this.managerApproves[user] === 1;
  }

  /** A number per user that sorts as their labels do. */
  labelOrder(): Int32Array {
    if (this.order === undefined) {
      // The engine's own string sort, without a comparator, is several times faster than one with.
      const labels = this.users.map((_, i) => this.label(i));
      const place = new Map<string, number>();
      [...labels].sort().forEach((label, i) => {
        if (!place.has(label)) place.set(label, i);
      });
      this.order = Int32Array.from(labels, (label) => place.get(label)!);
    }
    return this.order;
  }

  isActive(user: number): boolean {
    return this.users[user]?.active ?? false;
  }

  /** How a person is named in every output: their email, else their username. */
  label(user: number): string {
    const u = this.users[user];
    if (u === undefined) return `user #${user}`;
    return u.email !== '' ? u.email : u.username !== '' ? u.username : u.id;
  }

  /** Active members of a group, or none when the directory does not have the group. */
  activeMembers(name: string): Int32Array {
    return this.group(name)?.active ?? EMPTY;
  }
}

/** Whether `sorted` (ascending) holds `value`. */
export function sortedHas(sorted: Int32Array, value: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = sorted[mid]!;
    if (v === value) return true;
    if (v < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** The union of sorted sets, sorted. */
export function unionSorted(sets: readonly Int32Array[]): Int32Array {
  if (sets.length === 0) return EMPTY;
  if (sets.length === 1) return sets[0]!;
  let out = sets[0]!;
  for (let s = 1; s < sets.length; s++) {
    const b = sets[s]!;
    const merged = new Int32Array(out.length + b.length);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < out.length || j < b.length) {
      const x = i < out.length ? out[i]! : Number.MAX_SAFE_INTEGER;
      const y = j < b.length ? b[j]! : Number.MAX_SAFE_INTEGER;
      if (x === y) {
        merged[k++] = x;
        i++;
        j++;
      } else if (x < y) {
        merged[k++] = x;
        i++;
      } else {
        merged[k++] = y;
        j++;
      }
    }
    out = merged.subarray(0, k);
  }
  return out;
}

/** Members of sorted `a` also in sorted `b`. */
export function intersectSorted(a: Int32Array, b: Int32Array): Int32Array {
  const out = new Int32Array(Math.min(a.length, b.length));
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x === y) {
      out[k++] = x;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return out.subarray(0, k);
}

/** Members of sorted `a` not in sorted `b`. */
export function differenceSorted(a: Int32Array, b: Int32Array): Int32Array {
  const out = new Int32Array(a.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length) {
    const x = a[i]!;
    while (j < b.length && b[j]! < x) j++;
    if (j >= b.length || b[j]! !== x) out[k++] = x;
    i++;
  }
  return out.subarray(0, k);
}

export function sameSorted(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
