// Identity rules: one object per name and kind (after NFC and case-folding), previousNames that do
// not collide, singletons that are single, and names free of invisible characters.
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { formatLocation } from '../errors.js';
import type { Declared, DesiredState } from './desired.js';
import { findInvisible, nameKey } from './names.js';
import type { Loose } from './salvage.js';
import { diagnosticAt, diagnosticFor, findSpan, locate, type DocPath, type SourceDocument } from './source.js';

interface Named {
  metadata: { name: string; previousNames?: string[] };
}

/** Refuses a name with an invisible character, pointing at the character itself when the source shows it. */
export function invisibleCharacterDiagnostic(source: SourceDocument, path: DocPath, value: string): Diagnostic | undefined {
  const found = findInvisible(value);
  if (!found) return undefined;
  const message = `"${value.replace(/[\p{Cf}\p{Zl}\p{Zp}]/gu, (c) => `<U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}>`)}" contains ${found.codePoint}, an invisible or text-direction character; names may not contain them`;
  const span = findSpan(source.doc, path);
  if (span) {
    const raw = source.file.displayText.slice(span.start, span.end);
    const at = raw.indexOf(value.charAt(found.index));
    if (at !== -1) {
      return diagnosticAt(source.file, { start: span.start + at, end: span.start + at + 1 }, 'error', 'invisible-character', message, path);
    }
  }
  return diagnosticFor(source, path, 'error', 'invisible-character', message);
}

/** Whether an object has a name to check: the valid parts of one that breaks its schema (salvage.ts) may have none. */
function isNamed<T extends Named>(declared: Declared<T>): boolean {
  const metadata: Loose<Named['metadata']> | undefined = declared.object.metadata;
  return typeof metadata?.name === 'string';
}

function checkKind<T extends Named>(kind: string, all: readonly Declared<T>[], diagnostics: Diagnostic[]): void {
  const objects = all.every(isNamed) ? all : all.filter(isNamed);
  const byName = new Map<string, Declared<T>>();
  for (const declared of objects) {
    const { source } = declared;
    const name = declared.object.metadata.name;
    const invisible = invisibleCharacterDiagnostic(source, ['metadata', 'name'], name);
    if (invisible) diagnostics.push(invisible);
    const key = nameKey(name);
    const first = byName.get(key);
    if (first) {
      const where = formatLocation(locate(first.source, ['metadata', 'name']));
      const message =
        first.name === name
          ? `${kind} "${name}" is already declared at ${where}`
          : `${kind} "${name}" conflicts with "${first.name}" at ${where}: the two are the same name once Unicode-normalised (NFC) and case-folded`;
      diagnostics.push(diagnosticFor(source, ['metadata', 'name'], 'error', 'duplicate-name', message));
    } else {
      byName.set(key, declared);
    }
  }
  const claimedBy = new Map<string, Declared<T>>();
  for (const declared of objects) {
    const { source } = declared;
    const ownKey = nameKey(declared.object.metadata.name);
    (declared.object.metadata.previousNames ?? []).forEach((previous, index) => {
      const path = ['metadata', 'previousNames', index];
      const invisible = invisibleCharacterDiagnostic(source, path, previous);
      if (invisible) diagnostics.push(invisible);
      const key = nameKey(previous);
      if (key === ownKey) {
        diagnostics.push(diagnosticFor(source, path, 'error', 'previous-name-conflict', `previousNames lists this ${kind}'s own name "${previous}"`));
        return;
      }
      const current = byName.get(key);
      if (current) {
        const where = formatLocation(locate(current.source, ['metadata', 'name']));
        diagnostics.push(
          diagnosticFor(
            source,
            path,
            'error',
            'previous-name-conflict',
            `"${previous}" is the current name of another ${kind} at ${where}; a previous name cannot be in use`,
          ),
        );
        return;
      }
      const claimant = claimedBy.get(key);
      if (claimant && claimant !== declared) {
        const where = formatLocation(locate(claimant.source, ['metadata', 'name']));
        diagnostics.push(
          diagnosticFor(
            source,
            path,
            'error',
            'previous-name-conflict',
            `"${previous}" is also a previous name of the ${kind} at ${where}; a rename must have one source`,
          ),
        );
        return;
      }
      claimedBy.set(key, declared);
    });
  }
}

export interface ExtraSingleton {
  kind: 'AccessRequestSettings' | 'Project';
  source: SourceDocument;
}

export function checkIdentity(state: DesiredState, extraSingletons: readonly ExtraSingleton[], diagnostics: Diagnostic[]): void {
  checkKind('ApprovalFlow', state.flows, diagnostics);
  checkKind('GroupAssignment', state.groups, diagnostics);
  checkKind('WebhookChannel', state.channels, diagnostics);
  checkKind('AccessTest', state.tests, diagnostics);
  if (state.settings) checkKind('AccessRequestSettings', [state.settings], diagnostics);
  if (state.project) checkKind('Project', [state.project], diagnostics);
  for (const extra of extraSingletons) {
    const first = extra.kind === 'Project' ? state.project : state.settings;
    const where = first ? ` (the first is at ${formatLocation(locate(first.source, ['kind']))})` : '';
    diagnostics.push(diagnosticFor(extra.source, ['kind'], 'error', 'duplicate-singleton', `a repo may declare at most one ${extra.kind}${where}`));
  }
}
