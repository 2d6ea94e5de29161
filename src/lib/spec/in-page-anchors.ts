// The single-page edition holds every chapter in one document, so two chapters' "Requirements"
// sections would share an id and every link to /chapters/<slug>/ would leave the page. This
// rewrites one chapter's rendered HTML: each id becomes `<chapter>--<id>` (requirement IDs,
// unique across the specification, stay as they are, so /print/#AVP-BLK-3 works), and each
// link into a chapter becomes the in-page anchor of its target.

/** The in-page anchor of a chapter's own heading in the single-page edition. */
export const chapterAnchor = (slug: string) => `chapter-${slug}`;

export interface InPageContext {
  /** The chapter whose HTML this is. */
  chapter: string;
  /** Chapters of the edition, by slug. */
  chapters: ReadonlySet<string>;
  /** Ids that are unique across the whole specification and keep their name (requirement IDs). */
  isGlobalId: (id: string) => boolean;
}

const CHAPTER_LINK = /^\/chapters\/([^/#?]+)\/(?:#(.*))?$/;
// A start tag, its attribute values quoted or not (a quoted value may hold ">").
const START_TAG = /<[a-zA-Z][\w:-]*(?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*\s*\/?>/g;
const ID_ATTRS = /(\s)(id|for|aria-labelledby|aria-describedby|aria-controls|aria-owns|href)="([^"]*)"/g;

export function inPageId(chapter: string, id: string, ctx: Pick<InPageContext, 'isGlobalId'>): string {
  return ctx.isGlobalId(id) ? id : `${chapter}--${id}`;
}

/** Where a link of this chapter points in the single-page edition. */
export function inPageHref(href: string, ctx: InPageContext): string {
  if (href.startsWith('#')) return href.length > 1 ? `#${inPageId(ctx.chapter, href.slice(1), ctx)}` : href;
  const m = CHAPTER_LINK.exec(href);
  if (!m || !ctx.chapters.has(m[1])) return href;
  return m[2] ? `#${inPageId(m[1], m[2], ctx)}` : `#${chapterAnchor(m[1])}`;
}

/** One chapter's HTML with its ids made unique in the edition and its links made in-page. */
export function inPageHtml(html: string, ctx: InPageContext): string {
  // Text never holds a raw "<" (it is escaped), so every match is a real tag.
  return html.replace(START_TAG, (tag) =>
    tag.replace(ID_ATTRS, (_, space: string, name: string, value: string) => {
      const rewritten =
        name === 'href'
          ? inPageHref(value, ctx)
          : name === 'id' || name === 'for'
            ? inPageId(ctx.chapter, value, ctx)
            : value.split(/\s+/).filter(Boolean).map((id) => inPageId(ctx.chapter, id, ctx)).join(' ');
      return `${space}${name}="${rewritten}"`;
    }),
  );
}
