// An empty YAML document (a `---` followed by nothing but comments and blank lines) declares
// nothing and is skipped, as kubectl and Argo CD skip it: not an error, not an object, not an index.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { parseFile } from '../../src/config/parse.js';
import { locate } from '../../src/config/source.js';
import { configWorkspace, groupFile, lines, located } from './config-workspace.js';

const parse = (text: string) => parseFile('conf/x.yaml', new TextEncoder().encode(text));
const { root, validate } = configWorkspace('empty-documents');

const groupX = lines('apiVersion: accessctl/v1', 'kind: GroupAssignment', 'metadata:', '  name: X', 'spec: {create: true}');

describe('empty documents', () => {
  it.each([
    ['a file of only ---', '---\n'],
    ['a file of only --- without a newline', '---'],
    ['a file of several ---', '---\n---\n---\n'],
    ['a --- holding only a comment', '--- # nothing yet\n# still nothing\n'],
    ['a document end marker after an empty document', '---\n...\n'],
  ])('skips %s: no document, no finding', (_what, text) => {
    expect(parse(text)).toMatchObject({ documents: [], diagnostics: [] });
  });

  it('skips a trailing --- after a real document', () => {
    const parsed = parse(`---\n${groupX}---\n`);
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.documents.map((d) => [d.index, (d.data['metadata'] as { name: string }).name])).toEqual([[0, 'X']]);
  });

  it('skips a comment-only document between two real ones, keeping the later one at its own lines and numbering it as the second', () => {
    const text = `${groupFile('First')}---\n# a note, no object\n\n---\n${groupFile('Second')}`;
    const parsed = parse(text);
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.documents.map((d) => d.index)).toEqual([0, 1]);
    const second = parsed.documents[1]!;
    expect(second.data['metadata']).toEqual({ name: 'Second' });
    // groupFile is 5 lines, then `---`, the comment, a blank line and `---`: the name is on line 13.
    expect(locate(second, ['metadata', 'name'])).toEqual({ file: 'conf/x.yaml', line: 13, column: 9 });
    expect(locate(second, ['kind'])).toEqual({ file: 'conf/x.yaml', line: 11, column: 7 });
  });

  it('skips empty documents before a document the careful path reads, which keeps its own position', () => {
    // A quoted "<<" is an ordinary key the one-walk path leaves to the careful path.
    const text = lines('---', '# empty', '---', 'apiVersion: accessctl/v1', '"<<": odd', 'kind: GroupAssignment');
    const parsed = parse(text);
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.documents.map((d) => d.index)).toEqual([0]);
    expect(locate(parsed.documents[0]!, ['kind'])).toEqual({ file: 'conf/x.yaml', line: 6, column: 7 });
  });

  it('still refuses a document root written out as null or as an empty string', () => {
    expect(parse('---\n~\n').diagnostics.map((d) => d.code)).toEqual(['root-not-mapping']);
    expect(parse('---\n""\n').diagnostics.map((d) => d.code)).toEqual(['root-not-mapping']);
  });

  it('still reports a tag or an anchor on an otherwise empty document', () => {
    expect(parse('--- !!null\n').diagnostics.map((d) => d.code)).toContain('yaml-tag');
    expect(parse('--- &a\n').diagnostics.map((d) => d.code)).toContain('yaml-anchor');
  });

  it('validates a folder whose files end in --- or hold only ---, counting only the real objects', async () => {
    expect(
      await validate({
        'x.yaml': `---\n${groupX}---\n`,
        'only-separator.yaml': '---\n',
        'comment-between.yaml': `${groupFile('A')}--- # retired\n---\n${groupFile('B')}`,
      }),
    ).toEqual([]);
    const loaded = await loadConfig('.', `${root}/0`);
    expect({ files: loaded.files, objects: loaded.objects }).toEqual({ files: 3, objects: 3 });
    expect(loaded.desired.groups.map((g) => g.name).sort()).toEqual(['A', 'B', 'X']);
  });

  it('locates a finding in a document after an empty one at its own line', async () => {
    const bad = lines('apiVersion: accessctl/v1', 'kind: GroupAssignment', 'metadata:', '  name: Y', 'spec: {create: maybe}');
    expect(located(await validate({ 'y.yaml': `---\n# placeholder\n---\n${bad}` }))).toEqual(['y.yaml:8:16 error wrong-type']);
  });
});
