// Runs a sink's writes one after another, so two emits never interleave, and a failed one does not
// block those queued after it.

/** Runs tasks one after another, so a sink never interleaves two emits. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
