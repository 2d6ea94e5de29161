// The image record protocol of examples (src/lib/rich-output.ts): what the build and the
// browser runner recognise as a picture, and what stays plain text.
import { describe, expect, it } from 'vitest';
import { formatImageRecord, imageDataUrl, parseImageRecord, splitRichOutput } from '../../../src/lib/rich-output.ts';

describe('image records', () => {
  const svg = { mime: 'image/svg+xml' as const, alt: 'a plot', data: '<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>' };

  it('round-trip on one line, and split out of the output with a placeholder', () => {
    const line = formatImageRecord(svg);
    expect(line).not.toContain('\n');
    expect(parseImageRecord(line)).toEqual(svg);
    const { text, images } = splitRichOutput(`before\n${line}\nafter\n`);
    expect(text).toBe('before\n[image: a plot]\nafter\n');
    expect(images).toEqual([svg]);
  });

  it('leave ordinary and malformed lines as text', () => {
    for (const line of ['@avp:image', '@avp:image {', '@avp:image {"mime":"text/html","alt":"x","data":"<b>"}', '@avp:image {"mime":"image/png","alt":"x","data":"not base64!"}', ' @avp:image {}']) {
      expect(parseImageRecord(line)).toBeNull();
      expect(splitRichOutput(line).text).toBe(line);
    }
  });

  it('make data URLs for an <img>', () => {
    expect(imageDataUrl(svg)).toMatch(/^data:image\/svg\+xml;charset=utf-8,%3Csvg/);
    expect(imageDataUrl({ mime: 'image/png', alt: '', data: 'iVBORw0KGgo=' })).toBe('data:image/png;base64,iVBORw0KGgo=');
  });
});
