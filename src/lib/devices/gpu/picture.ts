// The composed panel as a picture: an SVG of rectangles, built from the pixels by merging runs
// of one colour along each row and then identical runs down the rows. Screens of flat areas,
// like the ones the examples draw, stay a few kilobytes, and the text is deterministic, so a
// golden file can hold it. A short FNV-1a hash of the pixels names a frame in plain output.
import type { GpuFrame } from './display.ts';

// #region panel-svg
export function frameToSvg(f: GpuFrame, opts: { scale?: number; title?: string } = {}): string {
  const scale = opts.scale ?? 3;
  type Run = { x: number; y: number; w: number; h: number; c: number };
  const open = new Map<string, Run>(); // runs that may still grow downwards, by "x,w,colour"
  const done: Run[] = [];
  for (let y = 0; y < f.height; y++) {
    const seen = new Set<string>();
    for (let x = 0; x < f.width; ) {
      const c = f.pixels[y * f.width + x] & 0xffffff;
      let w = 1;
      while (x + w < f.width && (f.pixels[y * f.width + x + w] & 0xffffff) === c) w++;
      const key = `${x},${w},${c}`;
      const run = open.get(key);
      if (run && run.y + run.h === y) run.h++;
      else {
        if (run) done.push(run);
        open.set(key, { x, y, w, h: 1, c });
      }
      seen.add(key);
      x += w;
    }
    for (const [k, r] of open) {
      if (!seen.has(k)) {
        done.push(r);
        open.delete(k);
      }
    }
  }
  done.push(...open.values());
  done.sort((a, b) => a.y - b.y || a.x - b.x);
  const hex = (c: number) => `#${c.toString(16).padStart(6, '0')}`;
  const rects = done.map((r) => `<rect x="${r.x}" y="${r.y}" width="${r.w}" height="${r.h}" fill="${hex(r.c)}"/>`).join('');
  const title = opts.title ? `<title>${opts.title.replace(/[<&>]/g, '')}</title>` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${f.width * scale}" height="${f.height * scale}" viewBox="0 0 ${f.width} ${f.height}" shape-rendering="crispEdges">${title}${rects}</svg>`;
}
// #endregion panel-svg

/** FNV-1a over the pixels' colour bytes, as 8 hex digits. */
export function frameHash(f: GpuFrame): string {
  let h = 0x811c9dc5;
  for (const p of f.pixels) {
    for (const b of [p & 0xff, (p >>> 8) & 0xff, (p >>> 16) & 0xff]) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
