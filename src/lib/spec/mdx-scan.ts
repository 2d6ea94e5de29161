// Reads one chapter's MDX into the facts the site needs before rendering: its headings, the
// requirements it states, and the references, sources and examples it names. Parsing with
// remark-mdx (not regular expressions) means code blocks and prose never count as components.
import remarkFrontmatter from 'remark-frontmatter';
import remarkMdx from 'remark-mdx';
import remarkParse from 'remark-parse';
import { unified } from 'unified';
import { toString } from 'mdast-util-to-string';
import { visit } from 'unist-util-visit';
import { SpecError } from './errors.ts';
import { createSlugger } from './slug.ts';

export interface ScannedHeading {
  depth: number;
  text: string;
  slug: string;
}

export const LEVELS = ['MUST', 'SHOULD', 'MAY'] as const;
export type Level = (typeof LEVELS)[number];

export interface ScannedRequirement {
  id: string;
  level: Level;
  /** VIRTIO 1.4 section refined, if any. */
  virtio?: string;
  /** Why the reference implementation cannot test it, if it cannot. */
  untestable?: string;
  text: string;
  /** Index into headings of the section it stands in, or -1 before the first heading. */
  headingIndex: number;
  line: number;
}

export interface ScannedChapter {
  headings: ScannedHeading[];
  requirements: ScannedRequirement[];
  refs: { to: string; line: number }[];
  sources: { file: string; region?: string; line: number }[];
  examples: { name: string; line: number }[];
}

// Headings the site numbers: ## to ####. A # heading would compete with the chapter title.
export const NUMBERED_DEPTHS = [2, 3, 4];

type JsxAttr = { type: string; name?: string; value?: unknown };
type JsxNode = { type: string; name: string | null; attributes: JsxAttr[]; position?: { start: { line: number } } };

function attr(node: JsxNode, name: string): string | undefined {
  const a = node.attributes.find((x) => x.type === 'mdxJsxAttribute' && x.name === name);
  if (!a) return undefined;
  if (typeof a.value !== 'string') return undefined;
  return a.value;
}

function need(node: JsxNode, name: string, file: string): string {
  const v = attr(node, name);
  if (v === undefined || v === '') {
    const line = node.position?.start.line ?? 0;
    throw new SpecError('CHAPTER_MALFORMED', `${file}:${line}: <${node.name}> needs a string attribute ${name}="…"`);
  }
  return v;
}

export function scanChapter(body: string, file: string): ScannedChapter {
  let tree;
  try {
    tree = unified().use(remarkParse).use(remarkFrontmatter).use(remarkMdx).parse(body);
  } catch (e) {
    throw new SpecError('CHAPTER_MALFORMED', `${file}: MDX does not parse: ${(e as Error).message}`);
  }
  const slug = createSlugger();
  const out: ScannedChapter = { headings: [], requirements: [], refs: [], sources: [], examples: [] };
  visit(tree, (node: any) => {
    const line = node.position?.start.line ?? 0;
    if (node.type === 'heading') {
      if (node.depth === 1) {
        throw new SpecError('CHAPTER_MALFORMED', `${file}:${line}: use ## for sections; the title is the only level-one heading`);
      }
      if (NUMBERED_DEPTHS.includes(node.depth)) {
        const text = toString(node);
        out.headings.push({ depth: node.depth, text, slug: slug(text) });
      }
      return;
    }
    if (node.type !== 'mdxJsxFlowElement' && node.type !== 'mdxJsxTextElement') return;
    const el = node as JsxNode;
    switch (el.name) {
      case 'Req': {
        const level = need(el, 'level', file);
        if (!(LEVELS as readonly string[]).includes(level)) {
          throw new SpecError('REQ_MALFORMED', `${file}:${line}: requirement level "${level}" is not one of ${LEVELS.join(', ')}`);
        }
        out.requirements.push({
          id: need(el, 'id', file),
          level: level as Level,
          virtio: attr(el, 'virtio'),
          untestable: attr(el, 'untestable'),
          text: toString(node).trim().replace(/\s+/g, ' '),
          headingIndex: out.headings.length - 1,
          line,
        });
        break;
      }
      case 'Ref':
        out.refs.push({ to: need(el, 'to', file), line });
        break;
      case 'Source':
        out.sources.push({ file: need(el, 'file', file), region: attr(el, 'region'), line });
        break;
      case 'Example':
        out.examples.push({ name: need(el, 'name', file), line });
        break;
    }
  });
  return out;
}
