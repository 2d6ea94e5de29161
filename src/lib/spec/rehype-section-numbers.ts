// Numbers a chapter's ## to #### headings in the rendered page and gives each a permalink.
// Numbers come from the spec index, so the page agrees with the sidebar, the table of
// contents and every cross-reference.
import type { Element, Root } from 'hast';
import { toString } from 'hast-util-to-string';
import { visit } from 'unist-util-visit';
import { loadSpecIndex, slugOf } from './chapter-files.ts';
import { SpecError } from './errors.ts';

const HEADINGS = new Set(['h2', 'h3', 'h4']);

/** MDX renders ' and " as typographic quotes; the index keeps the source text. */
export function sameHeading(rendered: string, indexed: string): boolean {
  const plain = (s: string) => s.replace(/[\u2018\u2019]/g, "'").replace(/[\u201c\u201d]/g, '"');
  return plain(rendered) === plain(indexed);
}

export function rehypeSectionNumbers(options: { root?: string } = {}) {
  return (tree: Root, file: { path?: string }) => {
    if (!file.path || !/[\\/]content[\\/]chapters[\\/][^\\/]+\.mdx$/.test(file.path)) return;
    const index = loadSpecIndex(options.root);
    const chapter = index.chapters.find((c) => c.slug === slugOf(file.path!));
    if (!chapter) return;
    let i = 0;
    visit(tree, 'element', (node: Element) => {
      if (!HEADINGS.has(node.tagName)) return;
      const section = chapter.sections[i++];
      const text = toString(node);
      if (!section || !sameHeading(text, section.title)) {
        throw new SpecError('CHAPTER_MALFORMED', `${chapter.file}: heading "${text}" is not where the index expects it; is a heading inside a component?`);
      }
      node.properties = { ...node.properties, id: section.slug };
      node.children = [
        { type: 'element', tagName: 'span', properties: { className: ['secno'] }, children: [{ type: 'text', value: section.number }] },
        { type: 'text', value: ' ' },
        ...node.children,
        { type: 'text', value: ' ' },
        {
          type: 'element',
          tagName: 'a',
          properties: { className: ['permalink'], href: `#${section.slug}`, ariaLabel: `Permalink to §${section.number}`, dataPagefindIgnore: '' },
          children: [{ type: 'text', value: '¶' }],
        },
      ];
    });
  };
}
