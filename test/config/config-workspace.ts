// The config tests' shared workspace: write a repo of files into a fresh folder, validate it, and
// read the findings back sorted by position, so each test states only its files and its findings.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';

/** A temp folder for one test file, removed after its tests; `validate` writes each case into a new subfolder. */
export function configWorkspace(name: string): { root: string; validate: (files: Record<string, string>) => Promise<Diagnostic[]> } {
  const root = mkdtempSync(join(tmpdir(), `accessctl-${name}-test-`));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let cases = 0;
  const validate = async (files: Record<string, string>): Promise<Diagnostic[]> => {
    const dir = join(root, String(cases++));
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), text);
    }
    const { diagnostics } = await loadConfig('.', dir);
    return [...diagnostics].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.code.localeCompare(b.code));
  };
  return { root, validate };
}

export const lines = (...text: string[]): string => `${text.join('\n')}\n`;

export const located = (diagnostics: readonly Diagnostic[]): string[] => diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.severity} ${d.code}`);

/** A GroupAssignment file for `name`, with an empty spec. */
export const groupFile = (name: string): string => lines('apiVersion: accessctl/v1', 'kind: GroupAssignment', 'metadata:', `  name: ${name}`, 'spec: {}');

/** An automatically approved ApprovalFlow file granting `grantGroup`, visible to `visibleTo` (Engineering). */
export const automaticFlowFile = (name: string, grantGroup: string, visibleTo: readonly string[] = ['Engineering']): string =>
  lines(
    'apiVersion: accessctl/v1',
    'kind: ApprovalFlow',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    `  grantGroup: ${grantGroup}`,
    `  visibleTo: [${visibleTo.join(', ')}]`,
    '  approval: {type: automatic}',
  );

/**
 * A channel the repo keeps itself, holding every kind of secret a channel can, each read from the
 * environment: HOOK_TOKEN (a URL placeholder), HOOK_AUTH (a header) and HOOK_SIGNING_SECRET.
 */
export const hookChannelFile = lines(
  'apiVersion: accessctl/v1',
  'kind: WebhookChannel',
  'metadata: {name: Hook}',
  'spec:',
  '  url: https://hooks.example.com/ingest/{{TOKEN}}',
  '  secrets: {TOKEN: {env: HOOK_TOKEN}}',
  '  headers: {X-Source: accessctl, Authorization: {env: HOOK_AUTH}}',
  '  signingSecret: {env: HOOK_SIGNING_SECRET}',
);
