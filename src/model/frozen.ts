// Values kept between runs (a cached parse, a remembered answer) are deep-frozen when kept, so a
// consumer that changed one would fail loudly instead of changing what the next run is handed.

/** Freezes `value` and everything it holds. */
export function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const item of Object.values(value)) deepFreeze(item);
}
