// The section numbers and titles of VIRTIO 1.4 CS01, and the checks that every citation of
// one names a section that exists. The data file is generated from the specification's LaTeX
// source by scripts/virtio-sections.mjs; it holds numbering facts only, no VIRTIO prose.
import data from './virtio-sections.json' with { type: 'json' };

const SECTIONS: Readonly<Record<string, string>> = data.sections;

/** Where the numbers come from, for pages that cite them. */
export const VIRTIO_SOURCE = data.source;

/** The title of a VIRTIO 1.4 section, or undefined when no such section exists. */
export function virtioSectionTitle(number: string): string | undefined {
  return Object.hasOwn(SECTIONS, number) ? SECTIONS[number] : undefined;
}

// #region citation-pattern
/**
 * A § citation in prose or a comment: "§2.7.5.2", "§ 5.2", "§A". A trailing full stop ends
 * the sentence, not the number. Only VIRTIO is cited with §; the AVP's own sections are
 * cross-referenced with <Ref>, which renders its own number.
 */
const CITATION = /§\s?((?:[1-9][0-9]*|[A-E])(?:\.[0-9]+)*)/g;
// #endregion citation-pattern

export interface Citation {
  section: string;
  line: number;
}

/** Every § citation in a text, with its line (1-based). */
export function citationsIn(text: string): Citation[] {
  const out: Citation[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    for (const m of line.matchAll(CITATION)) out.push({ section: m[1], line: i + 1 });
  });
  return out;
}

/** The citations in a text that name no VIRTIO 1.4 section, as "file:line: §n" strings. */
export function unknownCitations(text: string, file: string): string[] {
  return citationsIn(text)
    .filter((c) => virtioSectionTitle(c.section) === undefined)
    .map((c) => `${file}:${c.line}: §${c.section}`);
}
