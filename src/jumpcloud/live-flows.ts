// The live approval flows, mapped to the model page by page as the list arrives. A plan of 10,000
// flows then never holds all their wire objects at once (most of its garbage collection, measured):
// each page keeps only its bytes, off the JavaScript heap, from which a flow's wire form is re-read
// if its fingerprint is asked. Pages an answer memo keeps anyway are held as its parsed items.
import { AccessctlError } from '../errors.js';
import type { FlowModel } from '../model/flow.js';
import type { LiveEntry, UnmanageableEntry } from '../plan/diff.js';
import type { DirectoryIndex } from './directory-index.js';
import { fingerprintOf } from './fingerprint.js';
import { flowFromWire } from './flow-mapping.js';
import { pageItems, type ListPage } from './paginate.js';
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
    this.#digest ??= fingerprintOf(this.#page.item(this.#at));
    return this.#digest;
  }
}

/** A flow that names a user approver, read before the users were: mapped once they are. */
interface Waiting {
  page: FlowPage;
  at: number;
}

type Slot = PagedFlow | UnmanageableEntry | Waiting;

/**
 * Collects a flow list page by page (readPages' onPage). With no directory (it could not be read)
 * nothing is mapped: the plan treats the flows as unknown then. A flow that names a user approver
 * while the users are not read waits, in its place, for finish().
 */
export class FlowPageMapper {
  private readonly slots: Slot[] = [];
  private readonly pages: FlowPage[] = [];
  private waiting = 0;

  /** `itemsKept`: the client's answer memo keeps each page's parse (see FlowPage). */
  constructor(
    private readonly managesDisplay: (name: string) => boolean,
    private readonly itemsKept = false,
  ) {}

  /** Whether a flow waits for the users: read them, then finish() with them in the directory. */
  get needsUsers(): boolean {
    return this.waiting > 0;
  }

  /** Maps one page with `directory`, whose users are read when `usersRead`. */
  add(page: ListPage, directory: DirectoryIndex | undefined, usersRead: boolean): void {
    const kept = new FlowPage(this.itemsKept ? { items: page.items } : { bytes: page.bytes });
    this.pages.push(kept);
    if (directory === undefined) return;
    const items = page.items as readonly WireFlow[];
    // Indexed: one pass per page, over every flow of the org.
    for (let i = 0; i < items.length; i++) {
      const wire = items[i]!;
      if (!usersRead && namesUserApprover(wire)) {
        this.slots.push({ page: kept, at: i });
        this.waiting++;
      } else this.slots.push(this.mapped(wire, directory, kept, i));
    }
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
