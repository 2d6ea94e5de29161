// A frame as a small SVG: the picture an example shows. The frame is downscaled by `step`
// (one sample per step x step block) and each row's runs of equal colour become one <rect>,
// so a flat scene stays a few kilobytes and the text is the same on every run.

/** An RGB24 frame as SVG text, `scale` screen pixels per sample. */
export function frameToSvg(rgb: Uint8Array, width: number, height: number, opts: { step?: number; scale?: number; caption?: string } = {}): string {
  const step = opts.step ?? 2;
  const scale = opts.scale ?? 6;
  const cols = Math.floor(width / step);
  const rows = Math.floor(height / step);
  const hex = (x: number, y: number) => {
    const i = (y * step * width + x * step) * 3;
    return '#' + [rgb[i], rgb[i + 1], rgb[i + 2]].map((c) => c.toString(16).padStart(2, '0')).join('');
  };
  const captionH = opts.caption ? 14 : 0;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${cols * scale}" height="${rows * scale + captionH}" viewBox="0 0 ${cols * scale} ${rows * scale + captionH}" shape-rendering="crispEdges">`];
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; ) {
      const c = hex(x, y);
      let n = 1;
      while (x + n < cols && hex(x + n, y) === c) n++;
      parts.push(`<rect x="${x * scale}" y="${y * scale}" width="${n * scale}" height="${scale}" fill="${c}"/>`);
      x += n;
    }
  }
  if (opts.caption) parts.push(`<text x="4" y="${rows * scale + 11}" font-family="monospace" font-size="10">${opts.caption.replace(/[<&]/g, '')}</text>`);
  parts.push('</svg>');
  return parts.join('');
}
