// Code in the single-page edition loses its token colours and keeps its lines.
import { describe, expect, it } from 'vitest';
import { plainCode } from '../../../src/lib/spec/print-code.ts';

describe('code in the single-page edition', () => {
  it('drops token colour spans, keeping their text, the line spans and everything else', () => {
    const html =
      '<pre class="shiki"><code><span class="line wrap-1"><span class="hl-keyword">const</span><span class="hl-variable"> a</span> = <span class="hl-string">&quot;x&lt;y&quot;</span><span class="hl-tag hl-bold">\\0</span>;</span></code></pre><p><span class="secno">1</span> text</p>';
    expect(plainCode(html)).toBe('<pre class="shiki"><code><span class="line wrap-1">const a = &quot;x&lt;y&quot;\\0;</span></code></pre><p><span class="secno">1</span> text</p>');
  });

  it('leaves html without highlighting as it is', () => {
    const html = '<div class="req"><span class="req-level">MUST</span></div>';
    expect(plainCode(html)).toBe(html);
  });
});
