// Where GitHub places an annotation: a path relative to the repository's root, which in Actions is
// GITHUB_WORKSPACE, so a job with `working-directory:` still points at the right file.
import { isAbsolute, relative, resolve, sep } from 'node:path';

/** The repository root annotations are relative to: GITHUB_WORKSPACE when set (empty counts as unset), else the working directory. */
export function annotationRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env['GITHUB_WORKSPACE'] || process.cwd();
}

/** A path GitHub can place: relative to the repository root, with forward slashes; a file outside it is left as it is. */
export function repoPath(file: string, root: string): string {
  const absolute = isAbsolute(file) ? file : resolve(file);
  const inside = relative(root, absolute);
  return (inside.startsWith('..') || isAbsolute(inside) ? file : inside).split(sep).join('/');
}
