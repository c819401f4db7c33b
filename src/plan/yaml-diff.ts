// Shows a change the way reviewers read config: both sides as YAML, with a unified diff between them.
// The sides are given in config terms (render-spec.ts).
import { structuredPatch } from 'diff';
import { stringify } from 'yaml';

export function toYaml(value: unknown): string {
  if (value === undefined) return '';
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}

/**
 * Between two hunks of a diff. Hunk headers (`@@ -4,7 +4,7 @@`) would number the lines of the YAML
 * rendered here, which are not the config file's lines, so none are shown: only where lines were left out.
 */
export const HUNK_GAP = '...';

/**
 * One side of a diff as YAML lines. An empty map or list is no lines, not `{}` or `[]`: a first
 * field added to an empty spec shows as that field added (as Terraform shows it), not as `-{}`.
 */
function diffSide(value: unknown): string {
  if (typeof value === 'object' && value !== null && Object.keys(value).length === 0) return '';
  return toYaml(value);
}

/** Unified-diff lines (` `, `-`, `+` prefixed) from `before` to `after` as YAML, HUNK_GAP wherever lines are left out. */
export function yamlDiffLines(before: unknown, after: unknown, context = 3): string[] {
  const old = diffSide(before);
  const patch = structuredPatch('live', 'git', old, diffSide(after), '', '', { context });
  const oldLineCount = old === '' ? 0 : old.replace(/\n$/, '').split('\n').length;
  const lines: string[] = [];
  let shownTo = 0;
  for (const hunk of patch.hunks) {
    // oldStart is 0 for a hunk that adds to an empty side.
    if (hunk.oldStart > shownTo + 1) lines.push(HUNK_GAP);
    for (const line of hunk.lines) if (!line.startsWith('\\')) lines.push(line);
    shownTo = Math.max(hunk.oldStart, 1) + hunk.oldLines - 1;
  }
  if (patch.hunks.length > 0 && shownTo < oldLineCount) lines.push(HUNK_GAP);
  return lines;
}
