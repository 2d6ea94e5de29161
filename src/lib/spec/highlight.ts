// Syntax highlighting with shiki, one highlighter per build. Tokens carry classes (see
// code-theme.ts), coloured for light and dark by the site's stylesheet: no JavaScript, no
// per-token styles.
import { createHighlighter, type Highlighter } from 'shiki';
import { classTokens, codeTheme } from './code-theme.ts';

const LANGS = ['ts', 'js', 'json', 'sh', 'text'];

let highlighter: Promise<Highlighter> | undefined;

export async function highlight(code: string, lang: string): Promise<string> {
  highlighter ??= createHighlighter({ themes: [codeTheme], langs: LANGS.filter((l) => l !== 'text') });
  const h = await highlighter;
  return h.codeToHtml(code, { lang: LANGS.includes(lang) ? lang : 'text', theme: codeTheme, transformers: [classTokens] });
}
