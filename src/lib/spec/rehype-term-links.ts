// Links each defined term used in a requirement to its definition in the glossary. Writers
// set a term in emphasis inside a <Req> (*production configuration*); the spec index has
// already checked that every such phrase is defined, so here each one only gains its link.
import type { Element, Root } from 'hast';
import { toString } from 'hast-util-to-string';
import { SKIP, visit } from 'unist-util-visit';
import { loadSpecIndex } from './chapter-files.ts';

export function rehypeTermLinks(options: { root?: string } = {}) {
  return (tree: Root, file: { path?: string }) => {
    if (!file.path || !/[\\/]content[\\/]chapters[\\/][^\\/]+\.mdx$/.test(file.path)) return;
    const { terms } = loadSpecIndex(options.root);
    if (terms.size === 0) return;
    visit(tree, (node: any) => {
      if (node.type !== 'mdxJsxFlowElement' || node.name !== 'Req') return;
      visit(node, 'element', (em: Element, i, parent: any) => {
        if (em.tagName !== 'em' || i === undefined || !parent) return;
        const term = terms.get(toString(em).trim().replace(/\s+/g, ' ').toLowerCase());
        if (!term) return;
        parent.children[i] = { type: 'element', tagName: 'a', properties: { className: ['term-use'], href: term.href, title: term.definition }, children: [em] };
        return [SKIP, i + 1]; // the new link holds this em: do not visit it again
      });
    });
  };
}
