// Rich output of examples: an example that wants to show a picture (a composed screen, a plot)
// prints one line, an image record, through showImage(). The record is plain text, so Node,
// the build, the golden files and the browser's Run all see the same bytes; the site's example
// component recognises record lines and shows the picture in place of the line, with a short
// "[image: …]" placeholder in the text output. Records carry SVG text (deterministic, readable
// in a golden file) or base64 PNG.

// #region image-record
/** The start of an image record line; the rest of the line is JSON. */
export const IMAGE_RECORD_PREFIX = '@avp:image ';

export interface ImageRecord {
  readonly mime: 'image/svg+xml' | 'image/png';
  /** What the picture shows, for readers who cannot see it. */
  readonly alt: string;
  /** SVG text, or base64 PNG data. */
  readonly data: string;
}

/** The record as one line (without the newline). */
export function formatImageRecord(img: ImageRecord): string {
  return IMAGE_RECORD_PREFIX + JSON.stringify({ mime: img.mime, alt: img.alt, data: img.data });
}

/** Prints an image record: what an example calls to show a picture. */
export function showImage(img: ImageRecord): void {
  console.log(formatImageRecord(img));
}

/** Prints an SVG picture. */
export function showSvg(svg: string, alt: string): void {
  showImage({ mime: 'image/svg+xml', alt, data: svg });
}
// #endregion image-record

// #region parse-record
/** The record on a line, or null if the line is ordinary output or a malformed record. */
export function parseImageRecord(line: string): ImageRecord | null {
  if (!line.startsWith(IMAGE_RECORD_PREFIX)) return null;
  try {
    const v = JSON.parse(line.slice(IMAGE_RECORD_PREFIX.length)) as Record<string, unknown>;
    if (v.mime !== 'image/svg+xml' && v.mime !== 'image/png') return null;
    if (typeof v.alt !== 'string' || typeof v.data !== 'string') return null;
    if (v.mime === 'image/png' && !/^[A-Za-z0-9+/]*={0,2}$/.test(v.data)) return null;
    return { mime: v.mime, alt: v.alt, data: v.data };
  } catch {
    return null;
  }
}

/** The text shown in place of a record line. */
export function imagePlaceholder(img: ImageRecord): string {
  return `[image: ${img.alt}]`;
}

/** A data: URL for an <img>; an <img> never runs scripts an SVG might contain. */
export function imageDataUrl(img: ImageRecord): string {
  return img.mime === 'image/png' ? `data:image/png;base64,${img.data}` : `data:image/svg+xml;charset=utf-8,${encodeURIComponent(img.data)}`;
}

/** Splits an example's output into its text, with placeholders for records, and its images. */
export function splitRichOutput(output: string): { text: string; images: ImageRecord[] } {
  const images: ImageRecord[] = [];
  const text = output
    .split('\n')
    .map((line) => {
      const img = parseImageRecord(line);
      if (!img) return line;
      images.push(img);
      return imagePlaceholder(img);
    })
    .join('\n');
  return { text, images };
}
// #endregion parse-record
