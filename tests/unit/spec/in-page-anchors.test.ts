// The single-page edition's rewriting of one chapter's HTML: ids unique across chapters
// (requirement IDs kept), links into chapters made in-page, and nothing but tags touched.
import { describe, expect, it } from 'vitest';
import { inPageHref, inPageHtml, type InPageContext } from '../../../src/lib/spec/in-page-anchors.ts';

const ctx: InPageContext = {
  chapter: 'block',
  chapters: new Set(['block', 'glossary', 'network']),
  isGlobalId: (id) => /^AVP-[A-Z]+-\d+$/.test(id),
};

describe('inPageHref', () => {
  it('prefixes an anchor of the same chapter, and keeps a requirement ID', () => {
    expect(inPageHref('#requirements', ctx)).toBe('#block--requirements');
    expect(inPageHref('#AVP-BLK-3', ctx)).toBe('#AVP-BLK-3');
    expect(inPageHref('#', ctx)).toBe('#');
  });

  it('turns a link into a chapter, a section or a requirement into its anchor in the page', () => {
    expect(inPageHref('/chapters/network/', ctx)).toBe('#chapter-network');
    expect(inPageHref('/chapters/glossary/#term-device', ctx)).toBe('#glossary--term-device');
    expect(inPageHref('/chapters/network/#AVP-NET-2', ctx)).toBe('#AVP-NET-2');
  });

  it('leaves other links alone, and a chapter the edition does not have', () => {
    for (const href of ['/vectors/split-normal.json', 'https://github.com/x/y#L3', '/chapters/nowhere/', '/conformance-matrix/']) {
      expect(inPageHref(href, ctx)).toBe(href);
    }
  });
});

describe('inPageHtml', () => {
  it('rewrites ids, label targets and links in tags', () => {
    const html =
      '<h2 id="requirements">R <a class="permalink" href="#requirements">¶</a></h2>' +
      '<div class="req" id="AVP-BLK-3"><a class="xref" href="/chapters/network/#features" title="a > b">x</a></div>' +
      '<label for="q">Q</label><input id="q"><pre role="region" aria-labelledby="cap out">o</pre>';
    expect(inPageHtml(html, ctx)).toBe(
      '<h2 id="block--requirements">R <a class="permalink" href="#block--requirements">¶</a></h2>' +
        '<div class="req" id="AVP-BLK-3"><a class="xref" href="#network--features" title="a > b">x</a></div>' +
        '<label for="block--q">Q</label><input id="block--q"><pre role="region" aria-labelledby="block--cap block--out">o</pre>',
    );
  });

  it('does not touch text, such as HTML shown in a code block', () => {
    const code = '<pre class="shiki"><code><span class="line">&#x3C;a href="#x" id="y"></span></code></pre>';
    expect(inPageHtml(code, ctx)).toBe(code);
  });
});
