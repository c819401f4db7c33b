// The `-` sink writes one CloudEvent per JSON line, batches in order, and leaves stdout open.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { StdoutSink } from '../../src/events/stdout-sink.js';
import { sampleEvents } from './sample-events.js';

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  return { stream, text: () => text };
}

describe('the stdout sink', () => {
  it('writes one JSON object per line, in emit order', async () => {
    const out = capture();
    const sink = new StdoutSink(out.stream);
    const events = sampleEvents();
    await Promise.all([sink.emit(events.slice(0, 2)), sink.emit(events.slice(2))]);
    await sink.close();
    const lines = out.text().split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(0, -1).map((line) => JSON.parse(line) as unknown)).toEqual(JSON.parse(JSON.stringify(events)));
    expect(sink.name).toBe('stdout');
  });

  it('writes nothing for an empty batch and does not end the stream on close', async () => {
    const out = capture();
    const sink = new StdoutSink(out.stream);
    await sink.emit([]);
    await sink.close();
    expect(out.text()).toBe('');
    expect(out.stream.writableEnded).toBe(false);
  });
});
