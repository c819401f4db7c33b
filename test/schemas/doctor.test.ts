// schemas/doctor.schema.json against what `accessctl doctor --format json` really prints: a ready
// sandbox with live flows and an org id, a strict sandbox where the repo's channel cannot be
// managed, a refused key and a target nobody listens on. Copies broken on purpose are refused; the
// schema's fields and values are the types' (src/doctor/probe.ts).
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../../src/cli/runtime.js';
import { clientOverrides } from '../../src/cli/target-options.js';
import type { Check, CheckStatus, DoctorReport, KindSupport } from '../../src/doctor/probe.js';
import { withClientScope } from '../../src/pipeline/make-plan.js';
import { loadSeed } from '../../src/sandbox/seed.js';
import { accessctl } from '../cli/in-process.js';
import { freePort } from '../fleet/postgres.js';
import { startHarness, type Harness } from '../sandbox/harness.js';
import { copy, enumOf, exactly, expectAccepted, expectRefused, keysOf, outputSchema, schemaJson, type RequiredKeys } from './output-schema.js';

const examples = fileURLToPath(new URL('../../examples/access/', import.meta.url));
const mspSeed = fileURLToPath(new URL('../../examples/fleet/seed.yaml', import.meta.url));
const validate = outputSchema('doctor.schema.json');

// The command as main() runs it, but its clients' retry back-off does not wait: a target nobody
// listens on is retried as always, without the seconds between tries.
const runtime = createRuntime();
runtime.clientFor = (flags, use) => withClientScope({ target: flags.target, clientOptions: { ...clientOverrides(flags), sleep: async () => {} } }, use);

let ready: Harness;
let strict: Harness;
let msp: Harness;
let dir: string;

beforeAll(async () => {
  [ready, strict, msp] = await Promise.all([startHarness(), startHarness({ profile: 'strict' }), startHarness({ seed: loadSeed(mspSeed) })]);
  dir = await mkdtemp(join(tmpdir(), 'accessctl-doctor-schema-'));
  const applied = await accessctl(['apply', examples, '--auto-approve', '--target', ready.sandbox.url], { JUMPCLOUD_API_KEY: ready.sandbox.adminKey });
  expect(applied.code).toBe(0);
});
afterAll(async () => {
  await Promise.all([ready?.close(), strict?.close(), msp?.close()]);
  await rm(dir, { recursive: true, force: true });
});

async function doctorJson(args: string[], env: Record<string, string>): Promise<{ code: number; report: DoctorReport }> {
  const run = await accessctl(['doctor', ...args, '--format', 'json'], env, runtime);
  return { code: run.code, report: JSON.parse(run.stdout) as DoctorReport };
}

describe('schemas/doctor.schema.json', () => {
  it('accepts a ready target with live flows and their enum values', async () => {
    const { code, report } = await doctorJson([examples, '--target', ready.sandbox.url], { JUMPCLOUD_API_KEY: ready.sandbox.adminKey });
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.enums.length).toBeGreaterThan(0);
    expect(report.orgId).toBeUndefined();
    expectAccepted(validate, report);

    // Broken on purpose: the verdict gone, a status no check has, a kind accessctl does not have, too many objects.
    const { ok: _ok, ...withoutOk } = copy(report);
    expectRefused(validate, withoutOk, 'required', '');
    const error = copy(report);
    error.checks[0]!.status = 'error' as CheckStatus;
    expectRefused(validate, error, 'enum', '/checks/0/status');
    const group = copy(report);
    group.kinds[0]!.kind = 'Group' as KindSupport['kind'];
    expectRefused(validate, group, 'enum', '/kinds/0/kind');
    const many = copy(report);
    many.enums[0]!.objects = Array.from({ length: 21 }, (_, i) => `Flow ${i}`);
    expectRefused(validate, many, 'maxItems', '/enums/0/objects');
    const header = copy(report) as unknown as { rateLimitHeaders: Record<string, unknown> };
    header.rateLimitHeaders['x-ratelimit-limit'] = 100;
    expectRefused(validate, header, 'type', '/rateLimitHeaders/x-ratelimit-limit');
  });

  it('accepts a target where a kind the repo declares cannot be managed', async () => {
    const repo = join(dir, 'with-channel');
    await cp(examples, repo, { recursive: true });
    await writeFile(
      join(repo, 'pager.yaml'),
      'apiVersion: accessctl/v1\nkind: WebhookChannel\nmetadata: { name: Pager }\nspec: { url: "https://pager.example.com/hook" }\n',
    );
    const { code, report } = await doctorJson([repo, '--target', strict.sandbox.url], { JUMPCLOUD_API_KEY: strict.sandbox.adminKey });
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    expect(report.kinds.find((k) => k.kind === 'WebhookChannel')).toMatchObject({ manageable: false, declared: true });
    expectAccepted(validate, report);
  });

  it('accepts the org a multi-tenant key probes, named by orgId', async () => {
    const orgId = '65b000000000000000000002';
    const { code, report } = await doctorJson(['--target', msp.sandbox.url], { JUMPCLOUD_API_KEY: 'sandbox-msp-key-not-a-secret', JUMPCLOUD_ORG_ID: orgId });
    expect(code).toBe(0);
    expect(report.orgId).toBe(orgId);
    expect(report.checks.find((c) => c.id === 'org')?.status).toBe('ok');
    expectAccepted(validate, report);
    expectRefused(validate, { ...report, orgId: '' }, 'minLength', '/orgId');
  });

  it('accepts the one check of a refused key, with no kinds', async () => {
    const { code, report } = await doctorJson(['--target', ready.sandbox.url], { JUMPCLOUD_API_KEY: 'not-the-key' });
    expect(code).toBe(1);
    expect(report.checks).toEqual([expect.objectContaining({ id: 'key', status: 'fail' })]);
    expect(report.kinds).toEqual([]);
    expectAccepted(validate, report);
  });

  it('accepts the one check of a target nobody listens on, which says nothing of the key', async () => {
    const target = `http://127.0.0.1:${await freePort()}`;
    const { code, report } = await doctorJson([examples, '--target', target], { JUMPCLOUD_API_KEY: 'any-key' });
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    expect(report.checks).toEqual([{ id: 'target', status: 'fail', summary: expect.stringContaining(`${target} did not answer`) }]);
    expectAccepted(validate, report);
    const planted = copy(report);
    (planted.checks[0] as Check & { planted?: boolean }).planted = true;
    expectRefused(validate, planted, 'additionalProperties', '/checks/0');
  });

  it('is not what an invalid config prints: that is a validate-result, in JSON too', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'accessctl-doctor-invalid-'));
    try {
      await writeFile(join(dir, 'flow.yaml'), 'apiVersion: accessctl/v1\nkind: ApprovalFlow\nmetadata: {name: Broken}\nspec: {grantGroup: 7}\n');
      const run = await accessctl(['doctor', dir, '--target', ready.sandbox.url, '--format', 'json'], { JUMPCLOUD_API_KEY: ready.sandbox.adminKey }, runtime);
      expect(run.code).toBe(1);
      const printed = JSON.parse(run.stdout) as unknown;
      expectAccepted(outputSchema('validate-result.schema.json'), printed);
      expectRefused(validate, printed, 'required', '');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('lists the fields, required fields and values of the types', () => {
    const schema = schemaJson('doctor.schema.json');
    const defs = schema.$defs ?? {};
    type EnumValue = DoctorReport['enums'][number];
    expect(keysOf(schema)).toEqual({
      properties: exactly<keyof DoctorReport>()(['target', 'orgId', 'checks', 'kinds', 'enums', 'rateLimitHeaders', 'ok']),
      required: exactly<RequiredKeys<DoctorReport>>()(['target', 'checks', 'kinds', 'enums', 'rateLimitHeaders', 'ok']),
    });
    expect(keysOf(defs['check'])).toEqual({
      properties: exactly<keyof Check>()(['id', 'status', 'summary']),
      required: exactly<RequiredKeys<Check>>()(['id', 'status', 'summary']),
    });
    expect(keysOf(defs['kind'])).toEqual({
      properties: exactly<keyof KindSupport>()(['kind', 'manageable', 'why', 'declared']),
      required: exactly<RequiredKeys<KindSupport>>()(['kind', 'manageable', 'why', 'declared']),
    });
    expect(keysOf(defs['enumValue'])).toEqual({
      properties: exactly<keyof EnumValue>()(['field', 'value', 'known', 'objects']),
      required: exactly<RequiredKeys<EnumValue>>()(['field', 'value', 'known', 'objects']),
    });
    expect(enumOf(defs['check']?.properties?.['status'])).toEqual(exactly<CheckStatus>()(['ok', 'warn', 'fail', 'info']));
    expect(enumOf(defs['kind']?.properties?.['kind'])).toEqual(
      exactly<KindSupport['kind']>()([
        'GroupAssignment',
        'ApprovalFlow',
        'AccessRequestSettings',
        'WebhookChannel',
        'AccessRequestSettings.spec.webhooks (by name)',
      ]),
    );
  });
});
