// Where a reader finds the VIRTIO text a requirement or chapter cites. OASIS publishes VIRTIO 1.4
// CS01 as HTML and as PDF at fixed addresses. The HTML's anchors (#x1-NNNNNNN) are counters of
// the LaTeX-to-HTML converter, not derived from anything a citation holds. The PDF's named
// destinations are: LaTeX's hyperref names each numbered heading after its level and number
// ("section.5.2", "paragraph.2.7.5.3.1"; an appendix is "appendix.B"), so a cited section links
// straight to its heading in the PDF. scripts/check-virtio-dests.mjs checks a PDF built from the
// tag against virtio-sections.json: every one of its 964 sections has its destination (run on
// 2026-11-30: 964 of 964, and no numbered heading without a section in the list).
import { virtioSectionTitle } from './virtio-sections.ts';

/** The whole specification, as HTML. */
export const VIRTIO_SPEC_URL = 'https://docs.oasis-open.org/virtio/virtio/v1.4/cs01/virtio-v1.4-cs01.html';
/** The same text as PDF, whose named destinations lead to single sections. */
export const VIRTIO_PDF_URL = 'https://docs.oasis-open.org/virtio/virtio/v1.4/cs01/virtio-v1.4-cs01.pdf';

/** LaTeX's sectioning levels in the report class, by how many numbers a heading carries. */
const LEVEL_NAMES: readonly string[] = ['chapter', 'section', 'subsection', 'subsubsection', 'paragraph', 'subparagraph'];

/**
 * The PDF's named destination of a VIRTIO 1.4 section: "section.5.2", "appendix.B". Throws for a
 * number that names no section of VIRTIO 1.4, so a bad citation never becomes a dead link.
 */
export function virtioDestination(section: string): string {
  if (virtioSectionTitle(section) === undefined) throw new RangeError(`§${section} is not a section of VIRTIO 1.4`);
  const parts = section.split('.');
  // An appendix chapter is lettered, and hyperref names it apart from numbered chapters.
  const level = parts.length === 1 && /^[A-Z]$/.test(section) ? 'appendix' : LEVEL_NAMES[parts.length - 1];
  return `${level}.${section}`;
}

/**
 * A link to one section: the PDF opened at its heading. `#nameddest=` is the PDF Open Parameters
 * form that Chromium's, Firefox's and Adobe's viewers all follow.
 */
export function virtioSectionUrl(section: string): string {
  return `${VIRTIO_PDF_URL}#nameddest=${virtioDestination(section)}`;
}

/** A link's tooltip for one cited section. */
export const virtioSectionHint = (section: string, title?: string) =>
  `VIRTIO 1.4 (OASIS Committee Specification 01, PDF) at section ${section}${title ? ` ${title}` : ''}`;
