// Syntax highlighting with shiki, one highlighter per build, light and dark themes at once
// (the page switches with prefers-color-scheme; no JavaScript).
import { createHighlighter, type Highlighter } from 'shiki';

export const THEMES = { light: 'github-light', dark: 'github-dark' } as const;
const LANGS = ['ts', 'js', 'json', 'sh', 'text'];

let highlighter: Promise<Highlighter> | undefined;

export async function highlight(code: string, lang: string): Promise<string> {
  highlighter ??= createHighlighter({ themes: Object.values(THEMES), langs: LANGS.filter((l) => l !== 'text') });
  const h = await highlighter;
  return h.codeToHtml(code, { lang: LANGS.includes(lang) ? lang : 'text', themes: THEMES, defaultColor: 'light' });
}
