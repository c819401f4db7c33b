// Keeps one object of each hidden class a plan makes by the thousand, for the life of the process,
// so that a full garbage collection between two plans does not throw away the code V8 optimised
// for them.
//
// V8 holds the hidden class of an object built a field at a time (a class instance, a parsed JSON
// object) only while some object has it, and drops optimised code that checks for a class that
// died ("weak objects" in --trace-deopt-verbose). A long-lived process (reconciler, fleet, console)
// is collected between its plans; without these, each plan mapped and compared 10,000 flows in
// slower code while V8 rebuilt it (`npm run bench`, plan).

/** What is kept, by kind: one object each, so as many as the call sites name (a few). */
const kept = new Map<string, object>();

/** Keeps `value` as the object of `kind`, in place of the one kept before. */
export function keepShape(kind: string, value: object): void {
  kept.set(kind, value);
}
