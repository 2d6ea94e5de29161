import { describe, expect, it } from 'vitest';
import { buildSpecIndex, type ChapterInput } from '../../../src/lib/spec/spec-index.ts';
import { SpecError } from '../../../src/lib/spec/errors.ts';
import type { ChapterFrontmatter } from '../../../src/lib/spec/frontmatter.ts';

function chapter(slug: string, prefix: string, order: number, body: string): ChapterInput {
  const data: ChapterFrontmatter = { title: slug.toUpperCase(), part: 'core', order, status: 'draft', summary: 's', reqPrefix: prefix };
  return { slug, file: `src/content/chapters/${slug}.mdx`, data, body };
}

const queues = chapter('queues', 'VQ', 1, `
Intro text.

## Split rings

<Req id="AVP-VQ-1" level="MUST" actor="device" kind="new" virtio="2.7.5">The device MUST check every index.</Req>

### Indirect \`tables\`

<Req id="AVP-VQ-2" level="SHOULD" actor="device" kind="new">A driver SHOULD use them.</Req>

\`\`\`mdx
<Req id="AVP-VQ-1" level="MUST" actor="device" kind="new">inside a code block: not a requirement</Req>
\`\`\`
`);
const block = chapter('block', 'BLK', 2, `
## Requests

See <Ref to="AVP-VQ-1" /> and <Ref to="queues#indirect-tables" />.

<Req id="AVP-BLK-1" level="MAY" actor="device" kind="new">A device MAY do it.</Req>
`);

function kindOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as SpecError).kind;
  }
  return 'no error';
}

describe('spec index', () => {
  const index = buildSpecIndex([block, queues]);

  it('numbers chapters and sections', () => {
    expect(index.chapters.map((c) => `${c.number} ${c.slug}`)).toEqual(['1 queues', '2 block']);
    expect(index.chapters[0].sections.map((s) => `${s.number} ${s.title} #${s.slug}`)).toEqual([
      '1.1 Split rings #split-rings',
      '1.1.1 Indirect tables #indirect-tables',
    ]);
  });

  it('registers requirements with their level, section and VIRTIO citation, ignoring code blocks', () => {
    expect([...index.requirements.keys()]).toEqual(['AVP-VQ-1', 'AVP-VQ-2', 'AVP-BLK-1']);
    expect(index.requirements.get('AVP-VQ-2')).toMatchObject({ level: 'SHOULD', section: '1.1.1', chapter: 'queues' });
    expect(index.requirements.get('AVP-VQ-1')).toMatchObject({ virtio: '2.7.5', text: 'The device MUST check every index.' });
  });

  it('resolves requirement, chapter and section references', () => {
    expect(index.resolve('AVP-VQ-1')).toMatchObject({ href: '/chapters/queues/#AVP-VQ-1', label: 'AVP-VQ-1' });
    expect(index.resolve('block')).toMatchObject({ href: '/chapters/block/', label: '§2', title: 'BLOCK' });
    expect(index.resolve('queues#indirect-tables')).toMatchObject({ label: '§1.1.1', title: 'Indirect tables' });
  });

  it('fails on a duplicate requirement ID, naming both places', () => {
    const dup = chapter('dup', 'VQ2', 3, '<Req id="AVP-VQ2-1" level="MUST" actor="device" kind="new">x</Req>\n\n<Req id="AVP-VQ2-1" level="MUST" actor="device" kind="new">y</Req>\n');
    expect(() => buildSpecIndex([dup])).toThrow(/dup\.mdx:3: requirement ID "AVP-VQ2-1" is already defined in chapter "dup"/);
    expect(kindOf(() => buildSpecIndex([dup]))).toBe('REQ_DUPLICATE');
  });

  it('fails on an unknown reference target, naming the file and line', () => {
    const bad = chapter('bad', 'BAD', 3, '\n\nSee <Ref to="AVP-VQ-99" />.\n');
    expect(() => buildSpecIndex([queues, bad])).toThrow(/bad\.mdx:3: unknown cross-reference target "AVP-VQ-99"/);
    expect(kindOf(() => buildSpecIndex([queues, bad]))).toBe('REF_UNKNOWN');
    const badSection = chapter('bad', 'BAD', 3, 'See <Ref to="queues#nowhere" />.\n');
    expect(() => buildSpecIndex([queues, badSection])).toThrow(/chapter "queues" has no section "nowhere"/);
  });

  it('fails on a malformed ID, a foreign prefix, a bad level or a shared prefix', () => {
    const id = chapter('x', 'X1', 3, '<Req id="AVP-X1-01" level="MUST" actor="device" kind="new">x</Req>\n');
    expect(kindOf(() => buildSpecIndex([id]))).toBe('REQ_MALFORMED');
    const foreign = chapter('x', 'X1', 3, '<Req id="AVP-VQ-7" level="MUST" actor="device" kind="new">x</Req>\n');
    expect(() => buildSpecIndex([foreign])).toThrow(/must use this chapter's prefix AVP-X1-/);
    const level = chapter('x', 'X1', 3, '<Req id="AVP-X1-1" level="MUSTNT" actor="device" kind="new">x</Req>\n');
    expect(() => buildSpecIndex([level])).toThrow(/level "MUSTNT" is not one of MUST, SHOULD, MAY/);
    const twin = chapter('twin', 'VQ', 3, '');
    expect(() => buildSpecIndex([queues, twin])).toThrow(/reqPrefix "VQ" is already used/);
  });

  it('fails on a level-one heading and on a Req without an id', () => {
    expect(() => buildSpecIndex([chapter('h', 'H', 1, '# Title\n')])).toThrow(/use ## for sections/);
    expect(() => buildSpecIndex([chapter('h', 'H', 1, '<Req level="MUST">x</Req>\n')])).toThrow(/<Req> needs a string attribute id/);
  });
});
