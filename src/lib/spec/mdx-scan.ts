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

// #region actor-kind
/** Who must meet a requirement: the device, the driver, or the platform (the hypervisor and its integrator as a whole). */
export const ACTORS = ['device', 'driver', 'platform'] as const;
export type Actor = (typeof ACTORS)[number];

/**
 * How a requirement stands to VIRTIO 1.4: it restates what VIRTIO already requires, narrows
 * what VIRTIO allows, fills a gap where VIRTIO covers the topic but is silent on the point,
 * or is new, outside VIRTIO's scope.
 */
export const KINDS = ['restates', 'narrows', 'fills-gap', 'new'] as const;
export type Kind = (typeof KINDS)[number];
// #endregion actor-kind

export interface ScannedRequirement {
  id: string;
  level: Level;
  actor: Actor;
  kind: Kind;
  /** VIRTIO 1.4 section refined, if any. */
  virtio?: string;
  /** Why the reference implementation cannot test it, if it cannot. */
  untestable?: string;
  text: string;
  /** Index into headings of the section it stands in, or -1 before the first heading. */
  headingIndex: number;
  line: number;
  /** Phrases set in emphasis inside the requirement: uses of defined terms. */
  terms: string[];
}

export interface ScannedTerm {
  name: string;
  aliases: string[];
  text: string;
  line: number;
}

export interface ScannedChapter {
  headings: ScannedHeading[];
  requirements: ScannedRequirement[];
  refs: { to: string; line: number }[];
  sources: { file: string; region?: string; line: number }[];
  examples: { name: string; line: number }[];
  terms: ScannedTerm[];
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

/** An attribute that must hold one of a fixed set of values. */
function oneOf<T extends string>(node: JsxNode, name: string, values: readonly T[], file: string): T {
  const v = attr(node, name);
  const line = node.position?.start.line ?? 0;
  const id = attr(node, 'id') ?? '?';
  if (v === undefined || v === '') {
    throw new SpecError('REQ_MALFORMED', `${file}:${line}: requirement ${id} needs ${name}="${values.join('|')}"`);
  }
  if (!(values as readonly string[]).includes(v)) {
    throw new SpecError('REQ_MALFORMED', `${file}:${line}: requirement ${id}: ${name} "${v}" is not one of ${values.join(', ')}`);
  }
  return v as T;
}

function need(node: JsxNode, name: string, file: string): string {
  const v = attr(node, name);
  if (v === undefined || v === '') {
    const line = node.position?.start.line ?? 0;
    throw new SpecError('CHAPTER_MALFORMED', `${file}:${line}: <${node.name}> needs a string attribute ${name}="…"`);
  }
  return v;
}

/** The text of every *emphasis* inside a node. */
function emphasized(node: any): string[] {
  const found: string[] = [];
  visit(node, 'emphasis', (e: any) => {
    found.push(toString(e).trim().replace(/\s+/g, ' '));
  });
  return found;
}

export function scanChapter(body: string, file: string): ScannedChapter {
  let tree;
  try {
    tree = unified().use(remarkParse).use(remarkFrontmatter).use(remarkMdx).parse(body);
  } catch (e) {
    throw new SpecError('CHAPTER_MALFORMED', `${file}: MDX does not parse: ${(e as Error).message}`);
  }
  const slug = createSlugger();
  const out: ScannedChapter = { headings: [], requirements: [], refs: [], sources: [], examples: [], terms: [] };
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
        out.requirements.push({
          id: need(el, 'id', file),
          level: oneOf(el, 'level', LEVELS, file),
          actor: oneOf(el, 'actor', ACTORS, file),
          kind: oneOf(el, 'kind', KINDS, file),
          virtio: attr(el, 'virtio'),
          untestable: attr(el, 'untestable'),
          text: toString(node).trim().replace(/\s+/g, ' '),
          headingIndex: out.headings.length - 1,
          line,
          terms: emphasized(node),
        });
        break;
      }
      case 'Term':
        out.terms.push({
          name: need(el, 'name', file),
          aliases: (attr(el, 'aliases') ?? '').split(',').map((a) => a.trim()).filter(Boolean),
          text: toString(node).trim().replace(/\s+/g, ' '),
          line,
        });
        break;
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
