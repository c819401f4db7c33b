// Which paths under a config root are not config: the Project's spec.exclude, globs relative to the
// root read from its accessctl.yaml (dot-files, dot-folders and node_modules the walk skips itself).
// A pattern only ever removes files from what the walk found: it names no path to read.

/** The files at the config root a Project with spec.exclude is read from, before the walk. */
export const PROJECT_FILES = ['accessctl.yaml', 'accessctl.yml'] as const;

/**
 * What a pattern may be (the schema's excludePattern says the same): no leading `!` (nothing is
 * included back), no backslash, no empty, `.` or `..` segment, no control character.
 */
const VALID_PATTERN = /^(?!!)(?!.*\\)(?!(?:.*\/)?\.\.?(?:\/|$))(?!.*\/\/)[^\u0000-\u001f\u007f]{1,256}$/;

export function isValidExcludePattern(pattern: string): boolean {
  return VALID_PATTERN.test(pattern) && pattern !== '/';
}

/** One name's glob as a regular expression source: * any run of characters but /, ? one character but /. */
function segmentSource(segment: string): string {
  let source = '';
  for (const char of segment) {
    if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return source;
}

/**
 * A pattern as a regular expression over a path relative to the root, with / between names. As in
 * .gitignore: a pattern with no / but a trailing one matches a name at any depth; one with a / is
 * anchored at the root (a leading / only anchors); `**` as a whole name matches any run of folders;
 * a trailing / matches only folders.
 */
function compile(pattern: string): { regex: RegExp; foldersOnly: boolean } {
  const foldersOnly = pattern.endsWith('/');
  let body = foldersOnly ? pattern.slice(0, -1) : pattern;
  const anchored = body.includes('/');
  if (body.startsWith('/')) body = body.slice(1);
  const segments = body.split('/');
  let source = '';
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === '**') source += last ? '.*' : '(?:[^/]+/)*';
    else source += segmentSource(segment) + (last ? '' : '/');
  });
  return { regex: new RegExp(anchored ? `^${source}$` : `^(?:.*/)?${source}$`), foldersOnly };
}

/** The compiled spec.exclude of a Project. */
export class Exclusion {
  private readonly compiled: { regex: RegExp; foldersOnly: boolean }[];

  /** Compiles the valid patterns among `patterns`; the others the schema refuses, and they exclude nothing. */
  constructor(readonly patterns: readonly string[]) {
    this.compiled = patterns.filter(isValidExcludePattern).map(compile);
  }

  get empty(): boolean {
    return this.compiled.length === 0;
  }

  /** Whether the path `relative` (to the root, with /), a folder when `folder`, is excluded by a pattern of its own. */
  matches(relative: string, folder: boolean): boolean {
    return this.compiled.some(({ regex, foldersOnly }) => (folder || !foldersOnly) && regex.test(relative));
  }

  /** Whether the file `relative` is excluded, by itself or by a folder it lies in. */
  excludesFile(relative: string): boolean {
    const names = relative.split('/');
    for (let depth = 1; depth < names.length; depth++) if (this.matches(names.slice(0, depth).join('/'), true)) return true;
    return this.matches(relative, false);
  }
}

/** The spec.exclude list of a Project document's data, as written: undefined when there is none. */
export function excludeListOf(data: Record<string, unknown>): string[] | undefined {
  if (data['kind'] !== 'Project') return undefined;
  const spec = data['spec'];
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) return undefined;
  const exclude = (spec as Record<string, unknown>)['exclude'];
  if (!Array.isArray(exclude)) return undefined;
  return exclude.filter((item): item is string => typeof item === 'string');
}
