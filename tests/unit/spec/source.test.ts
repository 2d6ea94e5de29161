import { describe, expect, it } from 'vitest';
import { readSource } from '../../../src/lib/spec/source.ts';
import { scaffoldChapter } from '../../../src/lib/spec/scaffold.ts';
import { buildSpecIndex } from '../../../src/lib/spec/spec-index.ts';
import { parseFrontmatter } from '../../../src/lib/spec/frontmatter.ts';
import { parse } from 'yaml';

const root = process.cwd();

describe('source inclusion', () => {
  it('reads a region of a real file with its line span', () => {
    const s = readSource(root, 'src/lib/virtio/feature-bits.ts', 'reserved-bits');
    expect(s.code.split('\n')[0]).toMatch(/^export const VIRTIO_F_INDIRECT_DESC = 28;$/);
    expect(s.lang).toBe('ts');
    expect(s.lines[1]).toBeGreaterThan(s.lines[0]);
  });
  it('fails for a missing file, naming it', () => {
    expect(() => readSource(root, 'src/lib/nope.ts', undefined, 'ch.mdx')).toThrow(/ch\.mdx: <Source file="src\/lib\/nope\.ts">: no such file/);
  });
  it('fails for a missing region', () => {
    expect(() => readSource(root, 'src/lib/virtio/feature-bits.ts', 'nope')).toThrow(/no region "nope"/);
  });
  it('refuses files outside src/lib and examples', () => {
    expect(() => readSource(root, 'package.json')).toThrow(/must name a file under src\/lib\/ or examples\//);
    expect(() => readSource(root, 'src/lib/../../package.json')).toThrow(/must name a file under/);
  });
});

describe('new:chapter scaffold', () => {
  it('produces a chapter whose frontmatter and body pass the build checks', () => {
    const { file, text } = scaffoldChapter('my-device', { prefix: 'MYD' });
    expect(file).toBe('src/content/chapters/my-device.mdx');
    const [, yaml, body] = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text)!;
    const data = parseFrontmatter(file, parse(yaml));
    const index = buildSpecIndex([{ slug: 'my-device', file, data, body }]);
    expect([...index.requirements.keys()]).toEqual(['AVP-MYD-1']);
  });
  it('rejects a slug that is not kebab-case', () => {
    expect(() => scaffoldChapter('My Device')).toThrow(/kebab-case/);
  });
});
