// A table wider than the screen scrolls sideways inside its own box (site.css: display: block,
// overflow-x: auto), which on a phone is most tables. A box that scrolls must be reachable from
// the keyboard, or a reader without a pointer cannot see its right-hand columns, so every table
// is a tab stop (tabindex 0); it keeps its table role and is announced with its caption or,
// without one, its first row.
import type { Element, Root } from 'hast';
import { visit } from 'unist-util-visit';

export function rehypeScrollTables() {
  return (tree: Root) => {
    visit(tree, 'element', (node: Element) => {
      if (node.tagName === 'table' && node.properties.tabIndex === undefined) node.properties.tabIndex = 0;
    });
  };
}
