// Generates src/config/kinds.generated.ts from schemas/: the JSON Schemas are the single source of
// the config types. `npm run generate:types` writes the file; a test fails when it is stale.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { compile, type JSONSchema } from 'json-schema-to-typescript';

export const schemasDir = fileURLToPath(new URL('../schemas/', import.meta.url));
export const generatedFile = fileURLToPath(new URL('../src/config/kinds.generated.ts', import.meta.url));

const kindFiles = [
  'approval-flow.schema.json',
  'group-assignment.schema.json',
  'access-request-settings.schema.json',
  'webhook-channel.schema.json',
  'project.schema.json',
  'access-test.schema.json',
  'fleet.schema.json',
];

export async function generateTypes(): Promise<string> {
  // One root that references every kind, so shared definitions are declared once.
  const root = {
    title: 'AccessctlDocument',
    description: 'Any document accessctl reads from a config repo.',
    oneOf: kindFiles.map((file) => ({ $ref: file })),
  } as JSONSchema;
  const body = await compile(root, 'AccessctlDocument', {
    cwd: schemasDir,
    bannerComment: '// Generated from schemas/ by `npm run generate:types`. Do not edit: change the schemas and regenerate.',
    additionalProperties: false,
    strictIndexSignatures: true,
    unreachableDefinitions: false,
    format: true,
    maxItems: -1,
    style: { singleQuote: true, printWidth: 120 },
  });
  return body;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await writeFile(generatedFile, await generateTypes());
  console.log(`wrote ${generatedFile}`);
}
