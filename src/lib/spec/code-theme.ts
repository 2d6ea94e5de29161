// Highlighted code that carries classes, not colours. Shiki colours tokens from a theme; this
// theme gives each kind of token (keyword, string, comment …) a placeholder colour, and the
// transformer turns each placeholder back into a class such as `hl-keyword`. The colours live
// in the site's one stylesheet (site.css, `--hl-*`), light and dark, each checked for WCAG AA
// contrast on the code background. A page then carries no `style` attribute per token, and
// switching theme is a change of CSS variables.
import type { Element, ElementContent } from 'hast';
import type { ShikiTransformer, ThemeRegistration } from 'shiki';

/** The kinds of token the site colours; `plain` tokens carry no class at all. */
export const TOKEN_ROLES = ['comment', 'constant', 'entity', 'tag', 'keyword', 'string', 'variable', 'invalid', 'punctuation'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

// A role's placeholder: #0000NN, NN its position + 1 (00 is plain text).
const PLAIN = '#000000';
const placeholder = (role: TokenRole) => `#0000${(TOKEN_ROLES.indexOf(role) + 1).toString(16).padStart(2, '0')}`;
const ROLE_OF_PLACEHOLDER = new Map<string, TokenRole | 'plain'>([[PLAIN, 'plain'], ...TOKEN_ROLES.map((r) => [placeholder(r), r] as const)]);

// The scopes of GitHub's light theme, in its order (later rules win), each given a role.
const RULES: [scope: string | string[], role: TokenRole | 'plain', fontStyle?: string][] = [
  [['comment', 'punctuation.definition.comment', 'string.comment'], 'comment'],
  [['constant', 'entity.name.constant', 'variable.other.constant', 'variable.other.enummember', 'variable.language'], 'constant'],
  [['entity', 'entity.name'], 'entity'],
  ['variable.parameter.function', 'plain'],
  ['entity.name.tag', 'tag'],
  ['keyword', 'keyword'],
  [['storage', 'storage.type'], 'keyword'],
  [['storage.modifier.package', 'storage.modifier.import', 'storage.type.java'], 'plain'],
  [['string', 'punctuation.definition.string', 'string punctuation.section.embedded source'], 'string'],
  ['support', 'constant'],
  ['meta.property-name', 'constant'],
  ['variable', 'variable'],
  ['variable.other', 'plain'],
  [['invalid.broken', 'invalid.deprecated', 'invalid.illegal', 'invalid.unimplemented', 'message.error'], 'invalid'],
  ['string variable', 'constant'],
  [['source.regexp', 'string.regexp'], 'string'],
  ['string.regexp constant.character.escape', 'tag', 'bold'],
  [['support.constant', 'support.variable', 'meta.module-reference'], 'constant'],
  ['punctuation.definition.list.begin.markdown', 'variable'],
  [['markup.heading', 'markup.heading entity.name'], 'constant', 'bold'],
  ['markup.quote', 'tag'],
  ['markup.italic', 'plain', 'italic'],
  ['markup.bold', 'plain', 'bold'],
  [['markup.deleted', 'meta.diff.header.from-file', 'punctuation.definition.deleted'], 'invalid'],
  [['markup.inserted', 'meta.diff.header.to-file', 'punctuation.definition.inserted'], 'tag'],
  [['markup.changed', 'punctuation.definition.changed'], 'variable'],
  ['markup.inline.raw', 'constant'],
  [['meta.diff.range'], 'entity', 'bold'],
  [['meta.diff.header', 'meta.output'], 'constant'],
  [['brackethighlighter.tag', 'brackethighlighter.curly', 'brackethighlighter.round', 'brackethighlighter.square', 'brackethighlighter.angle'], 'punctuation'],
  [['constant.other.reference.link', 'string.other.link'], 'string', 'underline'],
];

export const codeTheme: ThemeRegistration = {
  name: 'avp-classes',
  type: 'light',
  fg: PLAIN,
  bg: '#ffffff',
  settings: [
    { settings: { foreground: PLAIN, background: '#ffffff' } },
    ...RULES.map(([scope, role, fontStyle]) => ({
      scope,
      settings: { foreground: role === 'plain' ? PLAIN : placeholder(role), ...(fontStyle ? { fontStyle } : {}) },
    })),
  ],
};

// Font styles of the theme, and the unselectable +/- that Astro puts before diff lines.
const STYLE_CLASSES: Record<string, string> = {
  'font-style:italic': 'hl-italic',
  'font-weight:bold': 'hl-bold',
  'text-decoration:underline': 'hl-underline',
  'user-select:none': 'hl-noselect',
};

/** A token's style attribute as classes; anything the theme cannot produce fails the build. */
function classesOf(style: string): string[] {
  const classes: string[] = [];
  for (const decl of style.split(';').map((d) => d.trim().replace(/\s+/g, '')).filter(Boolean)) {
    const [prop, value] = decl.split(':');
    if (prop === 'color') {
      const role = ROLE_OF_PLACEHOLDER.get(value.toLowerCase());
      if (!role) throw new Error(`code-theme: a token has colour ${value}, which is no role's placeholder`);
      if (role !== 'plain') classes.push(`hl-${role}`);
    } else if (STYLE_CLASSES[decl]) classes.push(STYLE_CLASSES[decl]);
    else throw new Error(`code-theme: a token has style "${decl}", which has no class`);
  }
  return classes;
}

const classOf = (e: ElementContent) => (e.type === 'element' ? String((e.properties.className as string[] | undefined)?.join(' ') ?? '') : null);

/**
 * Replaces each token's style with its classes, unwraps plain tokens into bare text and joins
 * neighbours of the same class: the same text, far fewer elements.
 */
export const classTokens: ShikiTransformer = {
  name: 'avp-class-tokens',
  pre(node) {
    // One class for every highlighted block, from Source, Example or a Markdown fence alike
    // (Astro's own step has already renamed shiki's class and added an overflow style).
    delete node.properties.style;
    delete node.properties.class;
    node.properties.className = ['shiki'];
  },
  line(node) {
    const out: ElementContent[] = [];
    for (const child of node.children) {
      if (child.type === 'element' && child.tagName === 'span') {
        const classes = classesOf(String(child.properties.style ?? ''));
        delete child.properties.style;
        if (classes.length === 0) {
          out.push(...child.children);
          continue;
        }
        child.properties.className = classes;
      }
      const prev = out[out.length - 1];
      if (prev && classOf(prev) && classOf(prev) === classOf(child)) {
        (prev as Element).children.push(...(child as Element).children);
        continue;
      }
      if (prev?.type === 'text' && child.type === 'text') {
        prev.value += child.value;
        continue;
      }
      out.push(child);
    }
    node.children = out;
    // A line that may wrap says how deeply it is indented, so that its continuation can hang
    // deeper than its own text (site.css, .wrap-N).
    const text = out.map((c) => (c.type === 'text' ? c.value : c.type === 'element' ? textOf(c) : '')).join('');
    if (text.length > WRAP_FROM) {
      const level = Math.min(Math.floor((/^ */.exec(text)?.[0].length ?? 0) / 2), MAX_WRAP_LEVEL);
      node.properties.class = `${node.properties.class ?? 'line'} wrap-${level}`;
    }
  },
};

/** Lines shorter than this fit any column wider than a phone's; only longer ones get a wrap class. */
const WRAP_FROM = 40;
/** Deeper indentation hangs as deep as this level (site.css has a rule per level up to it). */
export const MAX_WRAP_LEVEL = 8;

const textOf = (e: Element): string => e.children.map((c) => (c.type === 'text' ? c.value : c.type === 'element' ? textOf(c) : '')).join('');
