// A picture of the host memory pool: one bar per moment, the whole pool from left to right,
// cut into each guest's base memory, the blocks its memory device has plugged or has set aside,
// the ballooned memory the pool owes back, and free memory. Plain SVG text, deterministic, so
// an example's golden file can hold it.
import type { PoolView } from './pool.ts';

const HUES = ['#2b6ca3', '#c7731c', '#4f8a2b', '#7d4f9e', '#a33b3b'];
const OWED = '#8c8c8c';
const FREE = '#e3e3e3';

interface Segment {
  readonly bytes: number;
  readonly fill: string;
  readonly opacity: number;
  readonly label: string;
}

function segments(v: PoolView): Segment[] {
  const out: Segment[] = [];
  v.guests.forEach((g, i) => {
    const hue = HUES[i % HUES.length];
    out.push({ bytes: g.base - g.inBalloon - g.shortfall, fill: hue, opacity: 1, label: `${g.name}${g.safety ? ' (safety)' : ''} base` });
    out.push({ bytes: g.plugged, fill: hue, opacity: 0.6, label: `${g.name} plugged` });
    out.push({ bytes: g.reserved, fill: hue, opacity: 0.3, label: `${g.name} set aside` });
  });
  out.push({ bytes: v.owedFree, fill: OWED, opacity: 1, label: 'ballooned (owed)' });
  out.push({ bytes: v.free, fill: FREE, opacity: 1, label: 'free' });
  return out.filter((s) => s.bytes > 0);
}

// #region pool-svg
/** Bars for several moments of one pool, e.g. before and after memory moved. */
export function poolToSvg(moments: readonly { readonly label: string; readonly view: PoolView }[], opts: { title?: string } = {}): string {
  const W = 760;
  const left = 110;
  const barW = W - left - 20;
  const barH = 34;
  const top = opts.title ? 36 : 12;
  const rowH = barH + 22;
  const mibOf = (b: number) => `${Math.round(b / (1 << 20))} MiB`;
  const parts: string[] = [];
  if (opts.title) parts.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="600">${opts.title}</text>`);
  moments.forEach((m, row) => {
    const y = top + row * rowH;
    parts.push(`<text x="${left - 10}" y="${y + barH / 2 + 5}" text-anchor="end" font-size="13">${m.label}</text>`);
    let x = left;
    for (const s of segments(m.view)) {
      const w = (s.bytes / m.view.total) * barW;
      parts.push(`<rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${s.fill}" fill-opacity="${s.opacity}" stroke="#ffffff" stroke-width="1"><title>${s.label}: ${mibOf(s.bytes)}</title></rect>`);
      if (w >= 70) {
        const dark = s.fill === FREE || s.opacity < 0.5;
        parts.push(`<text x="${(x + w / 2).toFixed(1)}" y="${y + 14}" text-anchor="middle" font-size="10" fill="${dark ? '#222222' : '#ffffff'}">${s.label}</text>`);
        parts.push(`<text x="${(x + w / 2).toFixed(1)}" y="${y + 27}" text-anchor="middle" font-size="10" fill="${dark ? '#222222' : '#ffffff'}">${mibOf(s.bytes)}</text>`);
      }
      x += w;
    }
  });
  // A legend for every kind of segment, since narrow ones carry no label of their own.
  const kinds = new Map<string, Segment>();
  for (const m of moments) for (const s of segments(m.view)) if (!kinds.has(s.label)) kinds.set(s.label, s);
  let lx = left;
  let ly = top + moments.length * rowH + 4;
  for (const s of kinds.values()) {
    const w = 22 + s.label.length * 6.2;
    if (lx + w > W - 10) {
      lx = left;
      ly += 18;
    }
    parts.push(`<rect x="${lx.toFixed(1)}" y="${ly}" width="12" height="12" fill="${s.fill}" fill-opacity="${s.opacity}" stroke="#999999" stroke-width="0.5"/>`);
    parts.push(`<text x="${(lx + 16).toFixed(1)}" y="${ly + 10}" font-size="11">${s.label}</text>`);
    lx += w + 10;
  }
  const H = ly + 20;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">${parts.join('')}</svg>`;
}
// #endregion pool-svg
