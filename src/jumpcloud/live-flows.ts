// The live approval flows, mapped to the model page by page as the list arrives. A plan of 10,000
// flows then never holds all their wire objects at once (most of its garbage collection, measured):
// each page keeps only its bytes, off the JavaScript heap, from which a flow's wire form is re-read
// if its fingerprint is asked.
import type { FlowModel } from '../model/flow.js';
import type { LiveEntry, UnmanageableEntry } from '../plan/diff.js';
import type { DirectoryIndex } from './directory-index.js';
import { fingerprintOf } from './fingerprint.js';
import { flowFromWire } from './flow-mapping.js';
import { pageItems, type ListPage } from './paginate.js';
import type { WireFlow } from './wire.js';

export interface LiveFlows {
  /** The flows the mapping could read, in list order. */
  entries: LiveEntry<FlowModel>[];
  /** The flows it could not, in list order. */
  unmanageable: UnmanageableEntry[];
  /** Each page's bytes, in order: how a memo knows the same list again. */
  pages: readonly Buffer[];
}

/** Whether a live flow names a user as an approver: mapping it needs the directory's users. */
export function namesUserApprover(flow: WireFlow): boolean {
  return Array.isArray(flow.approverResources) && flow.approverResources.some((r) => r?.resourceType === 'user');
}

/** A page's bytes, parsed again (once) the first time one of its items is asked for. */
class PageBytes {
  #items: readonly unknown[] | undefined;

  constructor(readonly bytes: Buffer) {}

  item(at: number): unknown {
    this.#items ??= pageItems(this.bytes, 'results');
    return this.#items[at];
  }
}

/** A live flow mapped as its page arrived; its fingerprint is of its wire form as the page had it. */
class PagedFlow implements LiveEntry<FlowModel> {
  #digest: string | undefined;
  readonly #page: PageBytes;
  readonly #at: number;

  constructor(
    readonly id: string,
    readonly name: string,
    readonly model: FlowModel,
    page: PageBytes,
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
  page: PageBytes;
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
  private readonly pages: Buffer[] = [];
  private waiting = 0;

  constructor(private readonly managesDisplay: (name: string) => boolean) {}

  /** Whether a flow waits for the users: read them, then finish() with them in the directory. */
  get needsUsers(): boolean {
    return this.waiting > 0;
  }

  /** Maps one page with `directory`, whose users are read when `usersRead`. */
  add(page: ListPage, directory: DirectoryIndex | undefined, usersRead: boolean): void {
    this.pages.push(page.bytes);
    if (directory === undefined) return;
    const bytes = new PageBytes(page.bytes);
    const items = page.items as readonly WireFlow[];
    // Indexed: one pass per page, over every flow of the org.
    for (let i = 0; i < items.length; i++) {
      const wire = items[i]!;
      if (!usersRead && namesUserApprover(wire)) {
        this.slots.push({ page: bytes, at: i });
        this.waiting++;
      } else this.slots.push(this.mapped(wire, directory, bytes, i));
    }
  }

  /** The flows, the waiting ones mapped with `directory` (now with the users), in list order. */
  finish(directory: DirectoryIndex | undefined): LiveFlows {
    const entries: PagedFlow[] = [];
    const unmanageable: UnmanageableEntry[] = [];
    for (const slot of this.slots) {
      const done =
        slot instanceof PagedFlow || 'reasons' in slot ? slot : directory && this.mapped(slot.page.item(slot.at) as WireFlow, directory, slot.page, slot.at);
      if (done === undefined) continue;
      if (done instanceof PagedFlow) entries.push(done);
      else unmanageable.push(done);
    }
    return { entries, unmanageable, pages: this.pages };
  }

  private mapped(wire: WireFlow, directory: DirectoryIndex, page: PageBytes, at: number): PagedFlow | UnmanageableEntry {
    const read = flowFromWire(wire, directory, this.managesDisplay(wire.name));
    return read.ok ? new PagedFlow(wire.id, wire.name, read.model, page, at) : { id: wire.id, name: wire.name, reasons: read.reasons };
  }
}
