// The whole specification's index, computed once per build from every chapter's source:
// chapter and section numbers, the requirement registry, and the resolution of every
// cross-reference. Anything wrong here stops the build with a SpecError naming the file.
import type { ChapterFrontmatter } from './frontmatter.ts';
import { scanChapter, type Level, type ScannedChapter } from './mdx-scan.ts';
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
  virtio?: string;
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

export interface SpecIndex {
  chapters: IndexedChapter[];
  requirements: Map<string, Requirement>;
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
      const sec = r.headingIndex >= 0 ? ch.sections[r.headingIndex] : undefined;
      reqs.set(r.id, {
        id: r.id,
        level: r.level,
        virtio: r.virtio,
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

export function buildSpecIndex(inputs: ChapterInput[]): SpecIndex {
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

  return { chapters, requirements, resolve };
}
