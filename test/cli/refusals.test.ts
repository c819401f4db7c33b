// Platform refusals as the real binary prints them: the message and, under it, every per-field
// detail the platform sent; the concrete path instead of a route template; --as instead of the
// sandbox's header name; and bounds on how much (and what) a platform answer can make it print.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxPlatformTextLength, maxShownDetails, PlatformError } from '../../src/jumpcloud/platform-error.js';
import { accessctl, type Finished } from '../e2e/binary.js';
import { exampleFlows, startHarness, userKeys, type Harness } from '../sandbox/harness.js';

function refused(run: Finished): void {
  expect(run.code).toBe(1);
  expect(run.stdout).toBe('');
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(run.stderr).not.toContain('{id}');
  expect(run.stderr).not.toContain('x-sandbox-act-as');
}

describe('refusals through the binary', () => {
  let h: Harness;
  const run = (args: string[], key = h.sandbox.adminKey): Promise<Finished> => accessctl([...args, '--target', h.sandbox.url], { JUMPCLOUD_API_KEY: key });

  beforeAll(async () => {
    h = await startHarness();
    // GitHub Admin offers exactly three durations.
    await exampleFlows(h, {
      ttlConfig: 'TTL_CONFIG_MULTI_SELECT_DURATIONS',
      fixedDuration: undefined,
      multiSelectDuration: ['PT8H', 'P1D', 'P7D'],
    });
  });
  afterAll(async () => {
    await h.close();
  });

  it('prints the field detail of a duration the flow does not offer, under the message', async () => {
    const result = await run(['request', 'submit', '--as', 'erin.em', '--flow', 'GitHub Admin', '--reason', 'release', '--duration', 'P30D']);
    refused(result);
    expect(result.stderr).toBe(
      'accessctl: POST /api/v2/approvalflowrequest answered 400: invalid access request\n' +
        '  requestedDuration: must be one of PT8H, P1D, P7D (got "P30D")\n',
    );
  });

  it('names the request an administrator decision was refused for, not the route template', async () => {
    const submitted = await run(['request', 'submit', '--as', 'frank.em', '--flow', 'GitHub Admin', '--reason', 'audit', '--duration', 'PT8H', '--json']);
    expect(submitted.code, submitted.stderr).toBe(0);
    const id = (JSON.parse(submitted.stdout) as { id: string }).id;
    expect((await run(['request', 'deny', id])).code).toBe(0);
    const again = await run(['request', 'approve', id]);
    refused(again);
    expect(again.stderr).toMatch(new RegExp(`^accessctl: PUT /api/v2/approvalflowrequest/${id} answered 409: `));
  });

  it('speaks of --as, never the sandbox header, when acting for a user is refused', async () => {
    const [perUserKey, nobody, noUser] = await Promise.all([
      run(['request', 'list', '--as', 'bob'], userKeys.alice),
      run(['request', 'approve', '0123456789abcdef01234567', '--as', 'nobody']),
      run(['request', 'submit', '--flow', 'GitHub Admin', '--reason', 'who am I']),
    ]);
    for (const result of [perUserKey, nobody, noUser]) refused(result);
    expect(perUserKey.stderr).toBe('accessctl: GET /api/v2/approvalflowrequest answered 403: --as needs an administrator key\n');
    expect(nobody.stderr).toContain('404: --as: no user with the email or username "nobody"');
    expect(noUser.stderr).toMatch(/403: submitting a request needs a user: .*--as/);
  });
});

describe('what a refusal may print', () => {
  it('shows at most 20 details, each on its own line, cut to 500 characters, without control characters', () => {
    const details = [
      { field: 'name', message: 'is \u001b[31mred\u001b[0m\r\nand\u202eevil' },
      { field: 'description', message: 'x'.repeat(5000) },
      'a plain string detail',
      { code: 7 },
      ...Array.from({ length: 21 }, (_, i) => ({ field: `levels[${i}]`, message: 'is wrong' })),
    ];
    const error = new PlatformError({
      method: 'PUT',
      route: '/api/v2/approvalflows/{id}',
      status: 400,
      message: `invalid\u0007 approval flow ${'y'.repeat(2000)}`,
      details,
    });
    const lines = error.report.split('\n');
    expect(lines[0]).toMatch(/^PUT \/api\/v2\/approvalflows\/… answered 400: invalid approval flow y+…$/);
    expect(lines).toHaveLength(1 + maxShownDetails + 1);
    expect(lines[1]).toBe('  name: is [31mred [0m and evil');
    expect(lines[2]).toHaveLength(2 + maxPlatformTextLength);
    expect(lines[3]).toBe('  a plain string detail');
    expect(lines[4]).toBe('  {"code":7}');
    expect(lines.at(-1)).toBe(`  … and ${details.length - maxShownDetails} more`);
    expect(error.report).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(error.report).not.toContain('{id}');
  });

  it('is one line without details, and names the concrete path once it is known', () => {
    const error = new PlatformError({ method: 'PUT', route: '/api/v2/approvalflowrequest/{id}', status: 409, message: 'already decided' });
    expect(error.report).toBe('PUT /api/v2/approvalflowrequest/… answered 409: already decided');
    expect(error.at('/api/v2/approvalflowrequest/65a0').report).toBe('PUT /api/v2/approvalflowrequest/65a0 answered 409: already decided');
  });
});
