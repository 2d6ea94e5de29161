// The height a chapter of the single-page edition takes before it is laid out: counted from its
// HTML (prose characters, code lines, blocks). The browser test checks the estimate against the
// real heights of the built edition; this one checks what is counted.
import { describe, expect, it } from 'vitest';
import { chapterSize, estimatedHeight } from '../../../src/lib/spec/print-size.ts';

describe('the estimated height of a printed chapter', () => {
  it('counts prose apart from code, and every block', () => {
    const html = '<h2>Title</h2><p>Some <a href="#x">words</a> &amp; more</p><div class="req"><p>MUST</p></div><figure><pre class="shiki"><code><span class="line">a</span>\n<span class="line">b</span>\n<span class="line">c</span></code></pre></figure>';
    expect(chapterSize(html)).toEqual({ proseChars: 'TitleSomewordsxmoreMUST'.length, codeLines: 3, blocks: 6 });
  });

  it('grows with prose, with code and with blocks', () => {
    const base = estimatedHeight('<p>abc</p>');
    expect(estimatedHeight('<p>abcdefghij</p>')).toBeGreaterThan(base);
    expect(estimatedHeight('<p>abc</p><pre>1\n2</pre>')).toBeGreaterThan(base);
    expect(estimatedHeight('<p>abc</p><p></p>')).toBeGreaterThan(base);
    expect(estimatedHeight('')).toBe(0);
  });
});
