// YAML files in the config folder that are not accessctl config: dot-files are skipped like
// dot-folders, and the Project's spec.exclude (globs relative to the root, in accessctl.yaml) leaves
// out the rest. A pattern only ever leaves files out: it can never make the loader read elsewhere.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Exclusion, isValidExcludePattern } from '../../src/config/exclude.js';
import { loadConfig, type LoadResult } from '../../src/config/load.js';
import { ParseCache } from '../../src/config/parse-cache.js';
import { groupFile, lines, located } from './config-workspace.js';

const base = mkdtempSync(join(tmpdir(), 'accessctl-exclude-test-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let cases = 0;

const PLANTED = 'sk_live_PLANTED_exclude_0123';

/** Writes `files` under a fresh folder's config root `d` (and `outside` files beside it); returns both. */
function workspace(files: Record<string, string>, outside: Record<string, string> = {}): { dir: string; config: string } {
  const dir = join(base, String(cases++));
  const config = join(dir, 'd');
  mkdirSync(config, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(config, name)), { recursive: true });
    writeFileSync(join(config, name), text);
  }
  for (const [name, text] of Object.entries(outside)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return { dir, config };
}

const project = (...exclude: string[]): string =>
  lines('apiVersion: accessctl/v1', 'kind: Project', 'metadata: {name: p}', 'spec:', `  exclude: [${exclude.map((p) => JSON.stringify(p)).join(', ')}]`);

// Files that are not accessctl config, each of which the loader would refuse.
const mkdocs = lines('site_name: Docs', 'nav: [index.md]');
const preCommit = lines('repos:', '  - repo: https://github.com/pre-commit/pre-commit-hooks');
const pythonTagged = lines('markdown_extensions:', '  - pymdownx.emoji: {emoji_index: !!python/name:material.extensions.emoji.twemoji}');

function read(result: LoadResult): string[] {
  return [...result.sources.keys()].sort();
}

describe('patterns', () => {
  const cases: [string, string, boolean, boolean][] = [
    // pattern, path, is a folder, excluded
    ['mkdocs.yml', 'mkdocs.yml', false, true],
    ['mkdocs.yml', 'site/mkdocs.yml', false, true],
    ['/mkdocs.yml', 'site/mkdocs.yml', false, false],
    ['/mkdocs.yml', 'mkdocs.yml', false, true],
    ['*.tmpl.yaml', 'flows/a.tmpl.yaml', false, true],
    ['*.tmpl.yaml', 'flows/a.yaml', false, false],
    ['docs/**', 'docs/a/b/c.yaml', false, true],
    ['docs/**', 'other/docs/c.yaml', false, false],
    ['**/ci/*.yml', 'a/b/ci/x.yml', false, true],
    ['**/ci/*.yml', 'ci/x.yml', false, true],
    ['**/ci/*.yml', 'ci/deeper/x.yml', false, false],
    ['docs/', 'docs', true, true],
    ['docs/', 'docs', false, false],
    ['docs', 'x/docs', true, true],
    ['a?.yaml', 'ab.yaml', false, true],
    ['a?.yaml', 'a/.yaml', false, false],
    ['a*.yaml', 'a/b.yaml', false, false],
    ['(x)+[y].yaml', '(x)+[y].yaml', false, true],
  ];
  it.each(cases)('%s against %s (folder: %s) excludes it: %s', (pattern, path, folder, excluded) => {
    expect(new Exclusion([pattern]).matches(path, folder)).toBe(excluded);
  });

  it('excludes a file in an excluded folder', () => {
    expect(new Exclusion(['docs/']).excludesFile('docs/x/y.yaml')).toBe(true);
    expect(new Exclusion(['gen']).excludesFile('a/gen/y.yaml')).toBe(true);
    expect(new Exclusion(['gen']).excludesFile('a/general.yaml')).toBe(false);
  });

  it('refuses, and so never applies, a negation, a .. or . folder, a backslash, an empty name or a control character', () => {
    for (const bad of ['!keep.yaml', '../**', 'a/../b', './x.yaml', 'a\\b', 'a//b', '/', '', 'a\u0007']) {
      expect(isValidExcludePattern(bad), JSON.stringify(bad)).toBe(false);
      expect(new Exclusion([bad]).empty).toBe(true);
    }
    for (const good of ['mkdocs.yml', '/ci.yaml', 'docs/**', '.github/', '*.tmpl.yaml']) expect(isValidExcludePattern(good), good).toBe(true);
  });

  it('agrees with the schema on what a pattern may be', () => {
    const schema = JSON.parse(readFileSync(new URL('../../schemas/project.schema.json', import.meta.url), 'utf8')) as {
      $defs: { excludePattern: { pattern: string } };
    };
    const regex = new RegExp(schema.$defs.excludePattern.pattern, 'u');
    for (const pattern of ['!keep.yaml', '../**', 'a/../b', './x.yaml', 'a\\b', 'a//b', '/', 'a\u0007', 'mkdocs.yml', '/ci.yaml', 'docs/**', '.github/']) {
      expect(regex.test(pattern), JSON.stringify(pattern)).toBe(isValidExcludePattern(pattern));
    }
  });
});

describe('loading a folder with files that are not config', () => {
  it('skips dot-files such as .pre-commit-config.yaml and .gitlab-ci.yml, as it skips dot-folders', async () => {
    const { dir } = workspace({ '.pre-commit-config.yaml': preCommit, 'ci/.gitlab-ci.yml': preCommit, 'g.yaml': groupFile('G') });
    const result = await loadConfig('d', dir);
    expect(result.diagnostics).toEqual([]);
    expect({ files: result.files, read: read(result) }).toEqual({ files: 1, read: ['d/g.yaml'] });
  });

  it('without spec.exclude, a mkdocs.yml is refused as config', async () => {
    const { dir } = workspace({ 'mkdocs.yml': mkdocs, 'g.yaml': groupFile('G') });
    expect(located((await loadConfig('d', dir)).diagnostics)).toEqual(['d/mkdocs.yml:1:1 error missing-field']);
  });

  it('leaves out what spec.exclude names: a name at any depth, an anchored path, a folder, never reading them', async () => {
    const { dir } = workspace({
      'accessctl.yaml': project('mkdocs.yml', '/ci.yaml', 'site/', 'templates/**/*.tmpl.yaml'),
      'mkdocs.yml': mkdocs,
      'nested/mkdocs.yml': mkdocs,
      'ci.yaml': preCommit,
      'flows/ci.yaml': groupFile('Kept'),
      'site/theme.yaml': pythonTagged,
      'templates/a/b/x.tmpl.yaml': pythonTagged,
      'templates/a/b/real.yaml': groupFile('Real'),
      'g.yaml': groupFile('G'),
    });
    const result = await loadConfig('d', dir);
    expect(result.diagnostics).toEqual([]);
    expect(read(result)).toEqual(['d/accessctl.yaml', 'd/flows/ci.yaml', 'd/g.yaml', 'd/templates/a/b/real.yaml']);
    expect(result.files).toBe(4);
    expect(result.desired.groups.map((g) => g.name).sort()).toEqual(['G', 'Kept', 'Real']);
  });

  it('reads spec.exclude from accessctl.yml too, and never excludes the Project file itself', async () => {
    const { dir } = workspace({ 'accessctl.yml': project('*.yml', '*.yaml'), 'mkdocs.yml': mkdocs, 'g.yaml': groupFile('G') });
    const result = await loadConfig('d', dir);
    expect(result.diagnostics).toEqual([]);
    expect(read(result)).toEqual(['d/accessctl.yml']);
    expect(result.desired.project?.object.spec?.exclude).toEqual(['*.yml', '*.yaml']);
  });

  it('refuses a bad pattern at its place, and applies the good ones', async () => {
    const { dir } = workspace({ 'accessctl.yaml': project('mkdocs.yml', '!mkdocs.yml'), 'mkdocs.yml': mkdocs });
    const result = await loadConfig('d', dir);
    expect(located(result.diagnostics)).toEqual(['d/accessctl.yaml:5:27 error invalid-format']);
    expect(read(result)).toEqual(['d/accessctl.yaml']);
  });

  it('says a spec.exclude anywhere but the root accessctl.yaml excludes nothing', async () => {
    const { dir } = workspace({ 'settings/project.yaml': project('mkdocs.yml'), 'mkdocs.yml': mkdocs });
    const result = await loadConfig('d', dir);
    expect(located(result.diagnostics).sort()).toEqual(['d/mkdocs.yml:1:1 error missing-field', 'd/settings/project.yaml:5:3 error exclude-not-applied']);
    expect(result.diagnostics.find((d) => d.code === 'exclude-not-applied')!.message).toContain(
      'spec.exclude is read only from accessctl.yaml at the config root (d/accessctl.yaml)',
    );
  });

  it('applies no exclusion when the config path is a single file', async () => {
    const { dir } = workspace({ 'accessctl.yaml': project('accessctl.yaml') });
    const result = await loadConfig('d/accessctl.yaml', dir);
    expect(result.diagnostics).toEqual([]);
    expect(read(result)).toEqual(['d/accessctl.yaml']);
  });

  it('follows a changed spec.exclude through a parse cache', async () => {
    const { dir, config } = workspace({ 'accessctl.yaml': project('nothing.yaml'), 'mkdocs.yml': mkdocs, 'g.yaml': groupFile('G') });
    const cache = new ParseCache();
    expect(located((await loadConfig('d', dir, { cache })).diagnostics)).toEqual(['d/mkdocs.yml:1:1 error missing-field']);
    writeFileSync(join(config, 'accessctl.yaml'), project('mkdocs.yml'));
    const second = await loadConfig('d', dir, { cache });
    expect(second.diagnostics).toEqual([]);
    expect(read(second)).toEqual(['d/accessctl.yaml', 'd/g.yaml']);
  });
});

describe('an excluded path never leads outside the config root', () => {
  const outside = { 'secret.yaml': lines('apiVersion: accessctl/v1', 'kind: GroupAssignment', 'metadata: {name: Stolen}', `spec: {description: ${PLANTED}}`) };

  it('reads nothing outside the root whatever the patterns say', async () => {
    const { dir } = workspace(
      { 'accessctl.yaml': project('../**', '../secret.yaml', '/etc/**', '!../secret.yaml', '**', 'a/../../secret.yaml'), 'g.yaml': groupFile('G') },
      outside,
    );
    const result = await loadConfig('d', dir);
    expect(read(result)).toEqual(['d/accessctl.yaml']);
    expect(JSON.stringify({ diagnostics: result.diagnostics, sources: [...result.sources.values()].map((s) => s.displayText) })).not.toContain(PLANTED);
    expect(result.desired.groups).toEqual([]);
  });

  it('still refuses a link to a file outside the root, and refuses a link to an excluded file or a dot-file inside it', async () => {
    const { dir, config } = workspace(
      {
        'accessctl.yaml': project('private/'),
        'private/hidden.yaml': outside['secret.yaml'],
        '.dot.yaml': outside['secret.yaml'],
        'g.yaml': groupFile('G'),
      },
      outside,
    );
    symlinkSync('../secret.yaml', join(config, 'out.yaml'));
    symlinkSync(join('private', 'hidden.yaml'), join(config, 'into-excluded.yaml'));
    symlinkSync('.dot.yaml', join(config, 'into-dot-file.yaml'));
    const result = await loadConfig('d', dir);
    expect(located(result.diagnostics).sort()).toEqual([
      'd/into-dot-file.yaml:1:1 error outside-root',
      'd/into-excluded.yaml:1:1 error outside-root',
      'd/out.yaml:1:1 error outside-root',
    ]);
    expect(read(result)).toEqual(['d/accessctl.yaml', 'd/g.yaml']);
    expect(JSON.stringify([...result.sources.values()].map((s) => s.displayText))).not.toContain(PLANTED);
  });
});
