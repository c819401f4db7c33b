// A request body's JSON may nest at most MAX_BODY_DEPTH levels: deeper is a 400 naming the bound,
// found on the text before anything recursive (validation, the strict profile's walks, storing) sees it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_DEPTH, nestsDeeperThan } from '../../src/sandbox/request-body.js';
import { startHarness, type Harness } from './harness.js';

type ErrorBody = { code: string; message: string };

/** `{"name": …, "attributes": {"a": {"a": … {} }}}` with `levels` objects in all, as raw text. */
function groupNested(name: string, levels: number): string {
  const inner = `${'{"a":'.repeat(levels - 2)}{}${'}'.repeat(levels - 2)}`;
  return `{"name":${JSON.stringify(name)},"attributes":${inner}}`;
}

describe('nestsDeeperThan', () => {
  it('counts objects and arrays, not brackets inside strings or escaped quotes', () => {
    expect(nestsDeeperThan('[[[]]]', 3)).toBe(false);
    expect(nestsDeeperThan('[[[[]]]]', 3)).toBe(true);
    expect(nestsDeeperThan('{"a":[{"b":1}]}', 3)).toBe(false);
    expect(nestsDeeperThan('{"a":"[[[[{{{{","b":"\\"[[[[["}', 1)).toBe(false);
    expect(nestsDeeperThan('{"a":"\\\\","b":[[]]}', 2)).toBe(true);
  });
});

describe.each(['default', 'strict'] as const)('a deeply nested request body (%s profile)', (profile) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ profile });
  });
  afterAll(async () => {
    await h.close();
  });

  it('answers 400 naming the bound to a group whose attributes nest 100,000 levels, and creates nothing', async () => {
    const answer = await h.call<ErrorBody>('POST', '/api/v2/usergroups', groupNested('Deep', 100_000));
    expect(answer.status).toBe(400);
    expect(answer.body.message).toBe(`the body nests deeper than ${MAX_BODY_DEPTH} levels`);
    const listed = await h.call<{ name: string }[]>('GET', `/api/v2/usergroups?filter=${encodeURIComponent('name:eq:Deep')}`);
    expect(listed.body).toEqual([]);
  });

  it(`answers 400 at ${MAX_BODY_DEPTH + 1} levels and takes a body of exactly ${MAX_BODY_DEPTH}`, async () => {
    expect((await h.call<ErrorBody>('POST', '/api/v2/usergroups', groupNested('Too deep', MAX_BODY_DEPTH + 1))).status).toBe(400);
    const made = await h.call<{ id: string; name: string }>('POST', '/api/v2/usergroups', groupNested('Deep enough', MAX_BODY_DEPTH));
    expect(made.status).toBe(201);
    expect(made.body.name).toBe('Deep enough');
  });
});
