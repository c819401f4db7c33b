// The generated files match their sources: the config types and the config reference. The
// reference's inline example (for a kind examples/access does not use) is itself valid config.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateTypes, generatedFile } from '../../scripts/generate-types.js';
import { loadConfig } from '../../src/config/load.js';

describe('generated config types', () => {
  it('match the schemas (run `npm run generate:types` after changing schemas/)', async () => {
    const onDisk = await readFile(generatedFile, 'utf8');
    expect(onDisk).toBe(await generateTypes());
  });
});

describe('the generated config reference', () => {
  it('matches the schemas (run `npm run generate:docs` after changing schemas/)', async () => {
    const { generateReference, referenceFile } = await import('../../scripts/generate-docs.js');
    expect(await readFile(referenceFile, 'utf8')).toBe(generateReference());
  });

  it('says each description once: the envelope and secret references in a section of their own, a definition siblings share in one row', async () => {
    const { generateReference } = await import('../../scripts/generate-docs.js');
    const text: string = generateReference();
    const descriptions = text
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .map((line) => line.split(' | ').slice(3).join(' | '));
    const seen = new Map<string, number>();
    for (const d of descriptions) seen.set(d, (seen.get(d) ?? 0) + 1);
    // Only the pointer to the envelope and each kind's one-line `kind` row may repeat.
    const repeated = [...seen].filter(
      ([d, n]) => n > 1 && d !== 'See [the envelope](#the-envelope). |' && d !== 'The kind of object this document declares. |',
    );
    expect(repeated).toEqual([]);
    expect(text.match(/^## The envelope$/gm)).toHaveLength(1);
    expect(text.match(/^\| `metadata\.previousNames` /gm)).toHaveLength(1);
    expect(text).toContain('| `spec.drift.{ApprovalFlow, GroupAssignment, AccessRequestSettings, WebhookChannel}` |');
    expect(text).toContain('**Secret references.** A field of type `{env: NAME}` is a reference to a secret held outside git.');
    expect(text).not.toMatch(/^\| `[^`]*\.env` /m);
  });

  it('shows a WebhookChannel example, and its subscription, that validate with no finding', async () => {
    const { channelExample, subscriptionExample, generateReference } = await import('../../scripts/generate-docs.js');
    expect(generateReference()).toContain(channelExample.trimEnd());
    expect(generateReference()).toContain(subscriptionExample);
    const dir = mkdtempSync(join(tmpdir(), 'accessctl-docs-example-'));
    try {
      writeFileSync(join(dir, 'audit.yaml'), channelExample);
      writeFileSync(
        join(dir, 'settings.yaml'),
        ['apiVersion: accessctl/v1', 'kind: AccessRequestSettings', 'metadata: {name: settings}', 'spec:', `  ${subscriptionExample}`, ''].join('\n'),
      );
      const result = await loadConfig('.', dir);
      expect(result.diagnostics).toEqual([]);
      expect(result.desired.channels.map((c) => c.name)).toEqual(['Audit']);
      expect(result.desired.settings!.object.spec.webhooks).toEqual([{ channel: 'Audit', events: ['access_management_access_request'] }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
