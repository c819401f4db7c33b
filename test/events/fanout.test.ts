// One batch reaches every sink; a failing sink is reported, never thrown, and never stops the
// others. Also the end-to-end redaction check: the planted secret reaches no sink's output.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessctlError } from '../../src/errors.js';
import type { AccessctlEvent } from '../../src/events/cloudevent.js';
import { EventFanout, type SinkFailure } from '../../src/events/fanout.js';
import type { EventSink } from '../../src/events/sink.js';
import { sinkFromSpec, webhookSpoolDir } from '../../src/events/sink-spec.js';
import { startReceiver } from './receiver.js';
import { PLANTED, sampleEvents } from './sample-events.js';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'accessctl-fanout-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

class MemorySink implements EventSink {
  readonly events: AccessctlEvent[] = [];
  closed = false;
  constructor(readonly name: string) {}
  async emit(events: readonly AccessctlEvent[]): Promise<void> {
    this.events.push(...events);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

class BrokenSink implements EventSink {
  readonly name = 'broken';
  async emit(): Promise<void> {
    throw new AccessctlError('io', `disk full while writing ${PLANTED}`);
  }
  close(): Promise<void> {
    return Promise.reject(new Error('cannot close'));
  }
}

describe('the event fanout', () => {
  it('delivers to every sink even when one fails, and reports the failure instead of throwing', async () => {
    const before = new MemorySink('before');
    const after = new MemorySink('after');
    const reported: SinkFailure[] = [];
    const fanout = new EventFanout([before, new BrokenSink(), after], {
      onFailure: (failure) => reported.push(failure),
      redact: (s) => s.split(PLANTED).join('[redacted]'),
    });
    const events = sampleEvents();
    const failures = await fanout.emit(events);
    expect(before.events).toEqual(events);
    expect(after.events).toEqual(events);
    expect(failures).toEqual([{ sink: 'broken', code: 'io', message: 'disk full while writing [redacted]' }]);
    expect(reported).toEqual(failures);
    expect(fanout.sinkNames).toEqual(['before', 'broken', 'after']);

    const closeFailures = await fanout.close();
    expect(closeFailures).toEqual([{ sink: 'broken', code: 'io', message: 'cannot close' }]);
    expect(before.closed && after.closed).toBe(true);
  });

  it('resolves with no failures when every sink takes the events', async () => {
    const fanout = new EventFanout([new MemorySink('a'), new MemorySink('b')]);
    expect(await fanout.emit(sampleEvents())).toEqual([]);
    expect(await fanout.close()).toEqual([]);
  });

  it('lets no planted secret reach stdout, a file or a webhook receiver, and keeps the signing secret out of everything', async () => {
    const receiver = await startReceiver(SECRET);
    const down = await startReceiver(SECRET);
    await down.close();
    try {
      let stdout = '';
      const stream = new PassThrough();
      stream.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      const notices: string[] = [];
      const options = {
        env: { ACCESSCTL_EVENTS_WEBHOOK_SECRET: SECRET },
        spoolDir: join(dir, 'spool'),
        stdout: stream,
        sleep: async () => undefined,
        onNotice: (notice: { message: string }) => notices.push(notice.message),
      };
      const path = join(dir, 'events.jsonl');
      const fanout = new EventFanout(['-', `file:${path}`, `webhook:${receiver.url}`, `webhook:${down.url}`].map((spec) => sinkFromSpec(spec, options)));
      const events = sampleEvents();
      expect(await fanout.emit(events)).toEqual([]);
      expect(await fanout.close()).toEqual([]);

      const downSpool = webhookSpoolDir(options.spoolDir, new URL(down.url));
      const spooledText = (await Promise.all((await readdir(downSpool)).map((file) => readFile(join(downSpool, file), 'utf8')))).join('\n');
      const outputs = {
        stdout,
        file: await readFile(path, 'utf8'),
        webhook: receiver.received.map((r) => r.body + JSON.stringify(r.headers)).join('\n'),
        spool: spooledText,
        notices: notices.join('\n'),
      };
      expect(receiver.accepted()).toHaveLength(events.length);
      expect(spooledText.split('\n')).toHaveLength(events.length);
      for (const [where, text] of Object.entries(outputs)) {
        expect(text, where).not.toContain(PLANTED);
        expect(text, where).not.toContain(SECRET.slice('whsec_'.length));
      }
      expect(outputs.stdout.trimEnd().split('\n')).toHaveLength(events.length);
    } finally {
      await receiver.close();
    }
  });
});
