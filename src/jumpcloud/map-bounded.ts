// Runs an async function over many items with at most `limit` running at once, so a fan-out of
// reads (every group's associations) does not stampede the platform or its rate limit.

/**
 * Maps `items` through `fn` with at most `limit` calls in flight; results keep the order of the
 * items. On the first rejection no new calls start; the ones running are awaited (none is left
 * behind to outlive its caller) and that first rejection is thrown.
 */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`mapBounded needs a whole limit of at least 1, got ${limit}`);
  const results = new Array<R>(items.length);
  let next = 0;
  let failed: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failed === undefined && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        failed ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) throw failed.error;
  return results;
}
