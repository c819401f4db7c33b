import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { generateTypes, generatedFile } from '../../scripts/generate-types.js';

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
});
