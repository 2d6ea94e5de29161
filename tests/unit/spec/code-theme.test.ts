// Highlighted code carries classes, not colours, and every class it can carry has a colour in
// site.css that passes WCAG AA (4.5:1) on the code and requirement backgrounds, light and dark.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { highlight } from '../../../src/lib/spec/highlight.ts';
import { TOKEN_ROLES } from '../../../src/lib/spec/code-theme.ts';

const CSS = readFileSync('src/styles/site.css', 'utf8');

/** The light and dark colour of a custom property declared as light-dark(#light, #dark). */
function pair(name: string): [string, string] {
  const m = new RegExp(`${name}:\\s*light-dark\\((#[0-9a-f]{6}),\\s*(#[0-9a-f]{6})\\)`, 'i').exec(CSS);
  if (!m) throw new Error(`site.css declares no light-dark() pair for ${name}`);
  return [m[1], m[2]];
}

function contrast(a: string, b: string): number {
  const lum = (hex: string) => {
    const [r, g, bl] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

describe('highlighted code', () => {
  const source = [
    "import { open } from './disk.ts';",
    '// a comment',
    'export const SECTOR = 512;',
    '    if (request.sector + request.count > capacity && !writeback) throw new RangeError(`past the end: ${request.sector}`);',
  ].join('\n');

  it('has classes for its tokens and no style attribute anywhere', async () => {
    const html = await highlight(source, 'ts');
    expect(html).not.toMatch(/style=/);
    expect(html).toMatch(/^<pre tabindex="0" class="shiki">/);
    const classes = new Set([...html.matchAll(/class="(hl-[a-z]+)"/g)].map((m) => m[1]));
    for (const c of ['hl-keyword', 'hl-string', 'hl-comment', 'hl-constant']) expect(classes).toContain(c);
    // Plain text is bare: the line of only an identifier and punctuation keeps few elements.
    expect(html).toContain('{ open }');
  });

  it('marks a long line with its indentation, for a hanging wrap', async () => {
    const html = await highlight(source, 'ts');
    expect(html).toContain('<span class="line wrap-2">');
    expect(html.match(/wrap-/g)).toHaveLength(1);
  });

  for (const role of TOKEN_ROLES) {
    it(`colours hl-${role} with AA contrast, light and dark`, () => {
      expect(CSS).toMatch(new RegExp(`\\.hl-${role} \\{ color: var\\(--hl-${role}\\); \\}`));
      const [light, dark] = pair(`--hl-${role}`);
      for (const bg of ['--code-bg', '--req-bg', '--bg']) {
        const [lightBg, darkBg] = pair(bg);
        expect(contrast(light, lightBg), `${role} on ${bg} (light)`).toBeGreaterThanOrEqual(4.5);
        expect(contrast(dark, darkBg), `${role} on ${bg} (dark)`).toBeGreaterThanOrEqual(4.5);
      }
    });
  }
});
