// Keeps one object of each hidden class a plan makes by the thousand (of a list's items, the first
// page's worth), for the life of the process, so that a full garbage collection between two plans
// does not throw away the code V8 optimised for them.
//
// V8 holds the hidden class of an object built a field at a time (a class instance, a parsed JSON
// object) only while some object has it, and drops optimised code that checks for a class that
// died ("weak objects" in --trace-deopt-verbose). A long-lived process (reconciler, fleet, console)
// is collected between its plans; without these, each plan mapped and compared 10,000 flows in
// slower code while V8 rebuilt it (`npm run bench`, plan).
//
// What is kept outlives its plan, so it must be plain data or hold only such: never an object
// holding a closure made inside a function (it holds that call's whole scope: secrets, the live
// state), never one holding a secret (no channel, no settings; applications are read without their
// config). test/jumpcloud/shape-keeper.test.ts checks that a plan's env is collected.

/** The classes kept: one object each, or a list's first items. */
export type KeptShape =
  | 'WireFlow'
  | 'WireUserGroup'
  | 'WireSystemUser'
  | 'WireApplication'
  | 'PagedFlow'
  | 'FlowPageMapper'
  | 'NameResolver'
  | 'LocatedLater'
  | 'DigestedLater';

const kept = new Map<KeptShape, object>();

/**
 * At most this many items of a list are kept: a page's worth, so that the few shapes one list's
 * items come in (protobuf JSON leaves out zero values, so an item may lack a field) are all kept.
 */
const KEPT_ITEMS = 100;

/** Keeps `value` as the object of `shape`, in place of the one kept before. */
export function keepShape(shape: KeptShape, value: object): void {
  kept.set(shape, value);
}

/** Keeps the first items of a list as the objects of `shape`, in place of those kept before; a list with none keeps them. */
export function keepShapesOf(shape: KeptShape, items: readonly unknown[]): void {
  if (items.length > 0) kept.set(shape, items.slice(0, KEPT_ITEMS));
}
