// Links from a cited VIRTIO section to its heading in the OASIS PDF: the destination name is
// hyperref's (level and number), checked here on every level and on the appendices; a number
// that is not a section of VIRTIO 1.4 is refused rather than linked.
import { describe, expect, it } from 'vitest';
import { VIRTIO_PDF_URL, virtioDestination, virtioSectionUrl } from '../../../src/lib/spec/virtio-links.ts';
import data from '../../../src/lib/spec/virtio-sections.json' with { type: 'json' };

describe('VIRTIO section links', () => {
  it('name the destination after the heading level and number', () => {
    expect(virtioDestination('2')).toBe('chapter.2');
    expect(virtioDestination('5.2')).toBe('section.5.2');
    expect(virtioDestination('2.7.5')).toBe('subsection.2.7.5');
    expect(virtioDestination('2.7.5.3')).toBe('subsubsection.2.7.5.3');
    expect(virtioDestination('2.7.5.3.1')).toBe('paragraph.2.7.5.3.1');
    const six = Object.keys(data.sections).find((s) => s.split('.').length === 6)!;
    expect(virtioDestination(six)).toBe(`subparagraph.${six}`);
  });

  it('name an appendix apart from numbered chapters, and its sections as sections', () => {
    expect(virtioDestination('B')).toBe('appendix.B');
    expect(virtioDestination('B.1')).toBe('section.B.1');
  });

  it('open the PDF at the destination', () => {
    expect(virtioSectionUrl('5.2')).toBe(`${VIRTIO_PDF_URL}#nameddest=section.5.2`);
  });

  it('refuse a number that is no section of VIRTIO 1.4', () => {
    expect(() => virtioSectionUrl('5.99')).toThrow(/§5\.99 is not a section of VIRTIO 1\.4/);
    expect(() => virtioSectionUrl('')).toThrow(RangeError);
  });

  it('give every section of VIRTIO 1.4 a distinct destination', () => {
    const sections = Object.keys(data.sections);
    expect(new Set(sections.map(virtioDestination)).size).toBe(sections.length);
  });
});
