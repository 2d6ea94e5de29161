// An empty header cell of a Markdown table (a comparison table's corner) renders as a data
// cell; a header cell with text, or with an element such as an image, stays a header.
import { describe, expect, it } from 'vitest';
import type { Element, Root } from 'hast';
import { rehypeCornerCells } from '../../../src/lib/spec/rehype-corner-cells.ts';

const cell = (tagName: string, children: Element['children'] = []): Element => ({ type: 'element', tagName, properties: {}, children });

describe('rehypeCornerCells', () => {
  it('turns only the empty header cells into data cells', () => {
    const row = cell('tr', [
      cell('th', [{ type: 'text', value: ' ' }]),
      cell('th', [{ type: 'text', value: 'balloon' }]),
      cell('th', [cell('img')]),
    ]);
    const tree: Root = { type: 'root', children: [cell('table', [cell('thead', [row])])] };
    rehypeCornerCells()(tree);
    expect(row.children.map((c) => (c as Element).tagName)).toEqual(['td', 'th', 'th']);
  });
});
