// Counts the requests a client sent by method, route template and status: for metrics, and for
// tests that hold the client to a call budget.

export interface RequestCount {
  method: string;
  route: string;
  /** The HTTP status, or `error` when no response came back. */
  status: string;
  count: number;
}

export class RequestCounter {
  private readonly counts = new Map<string, RequestCount>();

  record(method: string, route: string, status: number | 'error'): void {
    const key = `${method} ${route} ${status}`;
    const entry = this.counts.get(key);
    if (entry) entry.count++;
    else this.counts.set(key, { method, route, status: String(status), count: 1 });
  }

  entries(): RequestCount[] {
    return [...this.counts.values()].map((entry) => ({ ...entry }));
  }

  total(filter: { method?: string; route?: string; status?: number | 'error' } = {}): number {
    let sum = 0;
    for (const entry of this.counts.values()) {
      if (filter.method && entry.method !== filter.method) continue;
      if (filter.route && entry.route !== filter.route) continue;
      if (filter.status !== undefined && entry.status !== String(filter.status)) continue;
      sum += entry.count;
    }
    return sum;
  }
}
