// Shows a change the way reviewers read config: both sides as YAML, with a unified diff between them.
import { structuredPatch } from 'diff';
import { stringify } from 'yaml';

export function toYaml(value: unknown): string {
  if (value === undefined) return '';
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** Unified-diff lines (` `, `-`, `+` prefixed, `@@` hunk headers) from `before` to `after` as YAML. */
export function yamlDiffLines(before: unknown, after: unknown, context = 3): string[] {
  const patch = structuredPatch('live', 'git', toYaml(before), toYaml(after), '', '', { context });
  const lines: string[] = [];
  for (const hunk of patch.hunks) {
    lines.push(`@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`);
    for (const line of hunk.lines) if (!line.startsWith('\\')) lines.push(line);
  }
  return lines;
}
