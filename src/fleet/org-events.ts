// The events of one org's run: the worker's sinks, each event's CloudEvents source naming the fleet
// and the org (accessctl/fleet/FLEET/ORG), and the drifted objects noted on the way for the run's
// history. The worker's sinks stay open across runs; closing an org's fanout closes nothing.
import type { AccessctlEvent } from '../events/cloudevent.js';
import { EventFanout } from '../events/fanout.js';
import type { EventSink } from '../events/sink.js';
import type { DriftedObject } from './history.js';

class OrgSink implements EventSink {
  readonly name: string;

  constructor(
    private readonly sink: EventSink,
    private readonly source: string,
  ) {
    this.name = sink.name;
  }

  emit(events: readonly AccessctlEvent[]): Promise<void> {
    return this.sink.emit(events.map((event) => ({ ...event, source: this.source })));
  }

  /** The worker closes its sinks once, when it stops. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Notes every event it emits, sinks or not: the run history lists drift all the same. */
class NotingFanout extends EventFanout {
  constructor(
    sinks: EventSink[],
    private readonly seen: (event: AccessctlEvent) => void,
  ) {
    super(sinks);
  }

  override emit(events: readonly AccessctlEvent[]): ReturnType<EventFanout['emit']> {
    for (const event of events) this.seen(event);
    return super.emit(events);
  }
}

export function eventSource(fleet: string, org: string): string {
  return `accessctl/fleet/${fleet}/${org}`;
}

export interface OrgEvents {
  fanout: EventFanout;
  driftedObjects(): DriftedObject[];
}

/** A fanout for one org run over the worker's sinks. */
export function orgEvents(sinks: readonly EventSink[], fleet: string, org: string): OrgEvents {
  const drifted = new Map<string, DriftedObject>();
  const seen = (event: AccessctlEvent): void => {
    if (event.type !== 'accessctl.drift.detected') return;
    const kind = String(event.data['kind'] ?? '');
    const name = String(event.data['name'] ?? '');
    drifted.set(`${kind}\u0000${name}`, { kind, name });
  };
  const source = eventSource(fleet, org);
  const fanout = new NotingFanout(
    sinks.map((sink) => new OrgSink(sink, source)),
    seen,
  );
  return { fanout, driftedObjects: () => [...drifted.values()] };
}
