// The whole specification's index, computed once per build from every chapter's source:
// chapter and section numbers, the requirement registry, and the resolution of every
// cross-reference. Anything wrong here stops the build with a SpecError naming the file.
import type { ChapterFrontmatter } from './frontmatter.ts';
import { ACTORS, KINDS, scanChapter, type Actor, type Kind, type Level, type ScannedChapter } from './mdx-scan.ts';
import { unknownCitations, virtioSectionTitle } from './virtio-sections.ts';
import { termAnchor } from './req-labels.ts';
import { numberHeadings, orderChapters } from './numbering.ts';
import { SpecError } from './errors.ts';

export interface ChapterInput {
  slug: string;
  /** Path shown in errors and used for edit links, relative to the repository root. */
  file: string;
  data: ChapterFrontmatter;
  body: string;
}

export interface Section {
  number: string;
  depth: number;
  title: string;
  slug: string;
}

export interface Requirement {
  id: string;
  level: Level;
  actor: Actor;
  kind: Kind;
  virtio?: string;
  /** Title of the VIRTIO 1.4 section it refines, when it names one. */
  virtioTitle?: string;
  untestable?: string;
  text: string;
  chapter: string;
  /** Number of the section it stands in (the chapter number if before any heading). */
  section: string;
  sectionTitle: string;
  href: string;
}

export interface IndexedChapter {
  slug: string;
  file: string;
  number: number;
  data: ChapterFrontmatter;
  href: string;
  sections: Section[];
  scan: ScannedChapter;
}

export interface Term {
  name: string;
  aliases: string[];
  definition: string;
  chapter: string;
  href: string;
}

export interface SpecIndex {
  chapters: IndexedChapter[];
  requirements: Map<string, Requirement>;
  /** Defined terms by every form they are written in (name and aliases), lower case. */
  terms: Map<string, Term>;
  resolve(to: string, from?: string): { href: string; label: string; title: string };
}

export const chapterHref = (slug: string) => `/chapters/${slug}/`;

// #region req-id
export const REQ_ID = /^AVP-([A-Z][A-Z0-9]{1,9})-([1-9][0-9]*)$/;
// #endregion req-id

function indexRequirements(chapters: IndexedChapter[]): Map<string, Requirement> {
  const reqs = new Map<string, Requirement>();
  const prefixOwner = new Map<string, string>();
  for (const ch of chapters) {
    const owner = prefixOwner.get(ch.data.reqPrefix);
    if (owner) {
      throw new SpecError('REQ_MALFORMED', `${ch.file}: reqPrefix "${ch.data.reqPrefix}" is already used by ${owner}`);
    }
    prefixOwner.set(ch.data.reqPrefix, ch.file);
    for (const r of ch.scan.requirements) {
      const m = REQ_ID.exec(r.id);
      if (!m) {
        throw new SpecError('REQ_MALFORMED', `${ch.file}:${r.line}: requirement ID "${r.id}" is not of the form AVP-${ch.data.reqPrefix}-<n>`);
      }
      if (m[1] !== ch.data.reqPrefix) {
        throw new SpecError('REQ_MALFORMED', `${ch.file}:${r.line}: requirement ID "${r.id}" must use this chapter's prefix AVP-${ch.data.reqPrefix}-`);
      }
      // #region duplicate-check
      const prev = reqs.get(r.id);
      if (prev) {
        throw new SpecError('REQ_DUPLICATE', `${ch.file}:${r.line}: requirement ID "${r.id}" is already defined in chapter "${prev.chapter}"`);
      }
      // #endregion duplicate-check
      // #region virtio-section-check
      const virtioTitle = r.virtio === undefined ? undefined : virtioSectionTitle(r.virtio);
      if (r.virtio !== undefined && virtioTitle === undefined) {
        throw new SpecError('VIRTIO_SECTION_UNKNOWN', `${ch.file}:${r.line}: requirement ${r.id} cites virtio="${r.virtio}", which is not a section of VIRTIO 1.4`);
      }
      // #endregion virtio-section-check
      const sec = r.headingIndex >= 0 ? ch.sections[r.headingIndex] : undefined;
      reqs.set(r.id, {
        id: r.id,
        level: r.level,
        actor: r.actor,
        kind: r.kind,
        virtio: r.virtio,
        virtioTitle,
        untestable: r.untestable,
        text: r.text,
        chapter: ch.slug,
        section: sec?.number ?? String(ch.number),
        sectionTitle: sec?.title ?? ch.data.title,
        href: `${ch.href}#${r.id}`,
      });
    }
  }
  return reqs;
}

/** Every § citation in a chapter's prose must name a VIRTIO 1.4 section (frontmatter: see frontmatter.ts). */
function checkCitations(inputs: ChapterInput[]) {
  const bad = inputs.flatMap((c) => unknownCitations(c.body, c.file));
  if (bad.length) throw new SpecError('VIRTIO_SECTION_UNKNOWN', `citations of sections that VIRTIO 1.4 does not have:\n  ${bad.join('\n  ')}`);
}

// #region code-vocabulary
/** Words of the reference code that normative text must not lean on: a spec defines its errors. */
const CODE_VOCABULARY = /\b(throws?|thrown|exceptions?|returns? (?:null|undefined))\b/i;
// #endregion code-vocabulary

function indexTerms(chapters: IndexedChapter[]): Map<string, Term> {
  const terms = new Map<string, Term>();
  for (const ch of chapters) {
    for (const t of ch.scan.terms) {
      const term: Term = { name: t.name, aliases: t.aliases, definition: t.text, chapter: ch.slug, href: `${ch.href}#${termAnchor(t.name)}` };
      for (const form of [t.name, ...t.aliases]) {
        const prev = terms.get(form.toLowerCase());
        if (prev) throw new SpecError('TERM_DUPLICATE', `${ch.file}:${t.line}: the term "${form}" is already defined as "${prev.name}" in chapter "${prev.chapter}"`);
        terms.set(form.toLowerCase(), term);
      }
    }
  }
  return terms;
}

// #region term-check
/**
 * Normative text may only lean on defined terms: every phrase set in emphasis inside a
 * requirement, and every actor and kind, must be a glossary term. Checked once the
 * specification has a glossary (a chapter with <Term> definitions).
 */
function checkTerms(chapters: IndexedChapter[], terms: Map<string, Term>) {
  if (terms.size === 0) return;
  const missing: string[] = [];
  for (const form of [...ACTORS, ...KINDS]) if (!terms.has(form)) missing.push(`the glossary does not define "${form}"`);
  for (const ch of chapters) {
    for (const r of ch.scan.requirements) {
      // A single letter in emphasis is a variable (*n* descriptors), not a term.
      for (const t of r.terms) if (t.length > 1 && !terms.has(t.toLowerCase())) missing.push(`${ch.file}:${r.line}: ${r.id} uses the term "${t}"`);
    }
  }
  if (missing.length) throw new SpecError('TERM_UNDEFINED', `terms used in normative text but not defined in the glossary:\n  ${missing.join('\n  ')}`);
}
// #endregion term-check

export function buildSpecIndex(inputs: ChapterInput[]): SpecIndex {
  checkCitations(inputs);
  const ordered = orderChapters(inputs.map((c) => ({ slug: c.slug, data: c.data, item: c })));
  const chapters: IndexedChapter[] = ordered.map(({ item, number }) => {
    const scan = scanChapter(item.body, item.file);
    const numbers = numberHeadings(number, scan.headings.map((h) => h.depth));
    return {
      slug: item.slug,
      file: item.file,
      number,
      data: item.data,
      href: chapterHref(item.slug),
      scan,
      sections: scan.headings.map((h, i) => ({ number: numbers[i], depth: h.depth, title: h.text, slug: h.slug })),
    };
  });
  const requirements = indexRequirements(chapters);
  for (const ch of chapters) {
    for (const r of ch.scan.requirements) {
      const word = CODE_VOCABULARY.exec(r.text);
      if (word) {
        throw new SpecError('REQ_MALFORMED', `${ch.file}:${r.line}: requirement ${r.id} says "${word[0]}": normative text names the behaviour a reader can observe, not the reference code's`);
      }
    }
  }
  const terms = indexTerms(chapters);
  checkTerms(chapters, terms);
  const bySlug = new Map(chapters.map((c) => [c.slug, c]));

  // #region resolve
  function resolve(to: string, from = '<unknown>') {
    const req = requirements.get(to);
    if (req) return { href: req.href, label: req.id, title: req.text };
    const [slug, anchor] = to.split('#', 2);
    const ch = bySlug.get(slug);
    if (ch && anchor === undefined) {
      return { href: ch.href, label: `§${ch.number}`, title: ch.data.title };
    }
    const sec = ch?.sections.find((s) => s.slug === anchor);
    if (ch && sec) return { href: `${ch.href}#${sec.slug}`, label: `§${sec.number}`, title: sec.title };
    const hint = ch ? `chapter "${slug}" has no section "${anchor}"` : `no requirement or chapter "${slug}"`;
    throw new SpecError('REF_UNKNOWN', `${from}: unknown cross-reference target "${to}": ${hint}`);
  }
  // #endregion resolve

  // Every reference is checked now, so a broken one fails the build even on a page that is
  // never rendered in the current build mode.
  for (const ch of chapters) for (const r of ch.scan.refs) resolve(r.to, `${ch.file}:${r.line}`);

  return { chapters, requirements, terms, resolve };
}
