// A Markdown table whose first header cell is empty (the corner of a comparison table,
// `| | balloon | memory device |`) would render an empty <th>: a header of nothing, which a
// screen reader announces as a blank column header. Markdown cannot write a data cell in the
// header row, so the site renders an empty header cell as the empty <td> it means.
import type { Element, Root } from 'hast';
import { toString } from 'hast-util-to-string';
import { visit } from 'unist-util-visit';

export function rehypeCornerCells() {
  return (tree: Root) => {
    visit(tree, 'element', (node: Element) => {
      if (node.tagName === 'th' && toString(node).trim() === '' && !node.children.some((c) => c.type === 'element')) node.tagName = 'td';
    });
  };
}
