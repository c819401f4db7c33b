// Keeps one object of each hidden class a plan makes by the thousand, for the life of the process,
// so that a full garbage collection between two plans does not throw away the code V8 optimised
// for them.
//
// V8 holds the hidden class of an object built a field at a time (a class instance, a parsed JSON
// object) only while some object has it, and drops optimised code that checks for a class that
// died ("weak objects" in --trace-deopt-verbose). A long-lived process (reconciler, fleet, console)
// is collected between its plans; without these, each plan mapped and compared 10,000 flows in
// slower code while V8 rebuilt it (`npm run bench`, plan).
//
// What is kept outlives its plan, so it must be plain data or hold only such: never an object
// holding a closure made inside a function (it holds that call's whole scope: secrets, the live
// state), never one holding a secret (no channel, no settings, no application). test/jumpcloud/shape-keeper.test.ts
// checks that a plan's env is collected.

/** The classes kept, one object each. */
export type KeptShape = 'WireFlow' | 'WireUserGroup' | 'WireSystemUser' | 'PagedFlow' | 'FlowPageMapper' | 'NameResolver' | 'LocatedLater' | 'DigestedLater';

const kept = new Map<KeptShape, object>();

/** Keeps `value` as the object of `shape`, in place of the one kept before. */
export function keepShape(shape: KeptShape, value: object): void {
  kept.set(shape, value);
}
