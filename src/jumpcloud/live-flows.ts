// The live approval flows, mapped to the model page by page as the list arrives. A plan of 10,000
// flows then never holds all their wire objects at once (most of its garbage collection, measured):
// each page keeps only its bytes, off the JavaScript heap, from which a flow's wire form is re-read
// if its fingerprint is asked. Pages an answer memo keeps anyway are held as its parsed items.
import { AccessctlError } from '../errors.js';
import type { FlowModel } from '../model/flow.js';
import type { LiveEntry, UnmanageableEntry } from '../plan/diff.js';
import type { DirectoryIndex } from './directory-index.js';
import { flowFingerprint } from './fingerprint.js';
import { flowFromWire } from './flow-mapping.js';
import { pageItems, type ListPage } from './paginate.js';
import { keepShape, keepShapesOf } from './shape-keeper.js';
import type { WireFlow } from './wire.js';

/**
 * The flow list as read. `mapped: false` when the directory (groups, users, applications) could not
 * be read: names cannot be resolved, and the plan treats the live flows as unknown.
 */
export type LiveFlows =
  | {
      mapped: true;
      /** The flows the mapping could read, in list order. */
      entries: LiveEntry<FlowModel>[];
      /** The flows it could not, in list order. */
      unmanageable: UnmanageableEntry[];
      /** Each page as kept, in order: how a memo knows the same list again. */
      pages: readonly FlowPage[];
    }
  | { mapped: false; pages: readonly FlowPage[] };

/** Whether a live flow names a user as an approver: mapping it needs the directory's users. */
export function namesUserApprover(flow: WireFlow): boolean {
  return Array.isArray(flow.approverResources) && flow.approverResources.some((r) => r?.resourceType === 'user');
}

/**
 * One page of the flow list as kept: its bytes, parsed again when an item is asked for (the parse
 * held weakly, so a kept plan does not keep it), or, when an answer memo keeps the page's frozen
 * parse anyway, those items (a copy of the bytes would only add to what the memo holds).
 */
export class FlowPage {
  #parsed: WeakRef<readonly unknown[]> | undefined;

  constructor(private readonly kept: { bytes: Buffer } | { items: readonly unknown[] }) {}

  item(at: number): unknown {
    if ('items' in this.kept) return this.kept.items[at];
    let items = this.#parsed?.deref();
    if (items === undefined) {
      items = pageItems(this.kept.bytes, 'results');
      this.#parsed = new WeakRef(items);
    }
    if (at >= items.length) throw new AccessctlError('internal', `flow ${at} is not on the page it was read from`);
    return items[at];
  }

  /** The same page: the very items the memo kept, or the same bytes. */
  same(other: FlowPage): boolean {
    const [mine, theirs] = [this.kept, other.kept];
    if ('items' in mine) return 'items' in theirs && mine.items === theirs.items;
    return 'bytes' in theirs && mine.bytes.equals(theirs.bytes);
  }
}

/** A live flow mapped as its page arrived; its fingerprint is of its wire form as the page had it. */
class PagedFlow implements LiveEntry<FlowModel> {
  #digest: string | undefined;
  readonly #page: FlowPage;
  readonly #at: number;

  constructor(
    readonly id: string,
    readonly name: string,
    readonly model: FlowModel,
    page: FlowPage,
    at: number,
  ) {
    this.#page = page;
    this.#at = at;
  }

  get fingerprint(): string {
    this.#digest ??= flowFingerprint(this.#page.item(this.#at));
    return this.#digest;
  }
}

/** A flow that names a user approver, read before the users were: mapped once they are. */
interface Waiting {
  page: FlowPage;
  at: number;
}

type Slot = PagedFlow | UnmanageableEntry | Waiting;

/** What one page was mapped to, and with what. */
interface MappedPage {
  directory: DirectoryIndex;
  managesDisplay: (name: string) => boolean;
  usersRead: boolean;
  page: FlowPage;
  slots: readonly Slot[];
}

/**
 * A long-lived caller's (the reconciler's) mapped flow pages, by the frozen items its answer memo
 * hands back for an unchanged page, and its directory index, by the lists' items: a warm cycle then
 * maps no page again, as it parses none again. Held weakly: a page the memo dropped goes too.
 */
export class FlowPageMemo {
  private readonly pages = new WeakMap<readonly unknown[], MappedPage>();
  private lastDirectory: { lists: readonly (readonly unknown[])[]; index: DirectoryIndex } | undefined;
  private reusedCount = 0;
  /** Whether the last read's live flows named a user approver: the next read reads the users first. */
  usersNeeded = false;

  /** Pages handed back as mapped before. */
  get reused(): number {
    return this.reusedCount;
  }

  /** The index made last when the lists hold the very same items, else `make`'s. */
  directory(lists: readonly (readonly unknown[])[], make: () => DirectoryIndex): DirectoryIndex {
    const last = this.lastDirectory;
    if (last?.lists.every((list, i) => sameItems(list, lists[i] ?? []))) return last.index;
    const index = make();
    this.lastDirectory = { lists, index };
    return index;
  }

  /** @internal FlowPageMapper's: the page mapped with these very inputs, if it was. */
  mapped(items: readonly unknown[], directory: DirectoryIndex, managesDisplay: (name: string) => boolean, usersRead: boolean): MappedPage | undefined {
    const kept = this.pages.get(items);
    if (kept === undefined || kept.directory !== directory || kept.managesDisplay !== managesDisplay || kept.usersRead !== usersRead) return undefined;
    this.reusedCount++;
    return kept;
  }

  /** @internal */
  keep(items: readonly unknown[], mapped: MappedPage): void {
    this.pages.set(items, mapped);
  }
}

function sameItems(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Collects a flow list page by page (readPages' onPage). With no directory (it could not be read)
 * nothing is mapped: the plan treats the flows as unknown then. A flow that names a user approver
 * while the users are not read waits, in its place, for finish().
 */
export class FlowPageMapper {
  private readonly slots: Slot[] = [];
  private readonly pages: FlowPage[] = [];
  private waiting = 0;

  /** `itemsKept`: the client's answer memo keeps each page's parse (see FlowPage); `memo`: a long-lived caller's mapped pages. */
  constructor(
    private readonly managesDisplay: (name: string) => boolean,
    private readonly itemsKept = false,
    private readonly memo?: FlowPageMemo,
  ) {}

  /** Whether a flow waits for the users: read them, then finish() with them in the directory. */
  get needsUsers(): boolean {
    return this.waiting > 0;
  }

  /** Maps one page with `directory`, whose users are read when `usersRead`. */
  add(page: ListPage, directory: DirectoryIndex | undefined, usersRead: boolean): void {
    // Only pages the answer memo keeps come back as the same items: only theirs are worth keeping mapped.
    const memo = this.itemsKept ? this.memo : undefined;
    const before = directory && memo?.mapped(page.items, directory, this.managesDisplay, usersRead);
    if (before) {
      this.pages.push(before.page);
      for (const slot of before.slots) {
        this.slots.push(slot);
        if (!(slot instanceof PagedFlow || 'reasons' in slot)) this.waiting++;
      }
      return;
    }
    const kept = new FlowPage(this.itemsKept ? { items: page.items } : { bytes: page.bytes });
    this.pages.push(kept);
    if (directory === undefined) return;
    const items = page.items as readonly WireFlow[];
    const from = this.slots.length;
    // Indexed: one pass per page, over every flow of the org.
    for (let i = 0; i < items.length; i++) {
      const wire = items[i]!;
      if (!usersRead && namesUserApprover(wire)) {
        this.slots.push({ page: kept, at: i });
        this.waiting++;
      } else this.slots.push(this.mapped(wire, directory, kept, i));
    }
    // The first page's flows as read, and its first as mapped: their hidden classes outlive the plan (shape-keeper.ts).
    const first = this.slots[0];
    if (from === 0) keepShapesOf('WireFlow', items);
    if (from === 0 && first instanceof PagedFlow) keepShape('PagedFlow', first);
    memo?.keep(page.items, { directory, managesDisplay: this.managesDisplay, usersRead, page: kept, slots: this.slots.slice(from) });
  }

  /**
   * The flows, the waiting ones mapped with `directory` (now with the users), in list order; not
   * mapped at all without a directory (some list of it could not be read).
   */
  finish(directory: DirectoryIndex | undefined): LiveFlows {
    if (directory === undefined) return { mapped: false, pages: this.pages };
    const entries: PagedFlow[] = [];
    const unmanageable: UnmanageableEntry[] = [];
    for (const slot of this.slots) {
      const done = slot instanceof PagedFlow || 'reasons' in slot ? slot : this.mapped(slot.page.item(slot.at) as WireFlow, directory, slot.page, slot.at);
      if (done instanceof PagedFlow) entries.push(done);
      else unmanageable.push(done);
    }
    return { mapped: true, entries, unmanageable, pages: this.pages };
  }

  private mapped(wire: WireFlow, directory: DirectoryIndex, page: FlowPage, at: number): PagedFlow | UnmanageableEntry {
    const read = flowFromWire(wire, directory, this.managesDisplay(wire.name));
    return read.ok ? new PagedFlow(wire.id, wire.name, read.model, page, at) : { id: wire.id, name: wire.name, reasons: read.reasons };
  }
}

// Made once per plan: an empty one keeps its hidden class from one plan to the next (shape-keeper.ts).
keepShape('FlowPageMapper', new FlowPageMapper(() => false));
