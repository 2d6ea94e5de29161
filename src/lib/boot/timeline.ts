// A boot check as text and as an SVG timeline (one row per phase, grouped by guest, with each
// driving case's deadline as a vertical line). Deterministic: the same check gives the same bytes.
import type { BootCheck } from './budget.ts';

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

/** The schedule, one line per phase, then one line per driving case. */
export function formatBootCheck(check: BootCheck): string {
  const lines: string[] = [`plan: ${check.plan.name}`];
  for (const s of check.schedule) {
    lines.push(`  ${lpad(String(s.startMs), 5)} → ${lpad(String(s.endMs), 5)} ms  ${pad(s.guest, 8)} ${pad(s.id, 19)} ${s.what}`);
  }
  lines.push('cases:');
  for (const c of check.cases) {
    const verdict = c.withinBudget ? `ok, ${c.slackMs} ms to spare` : `OVER by ${-c.slackMs} ms, budget ran out in ${c.breakingPhase}`;
    const req = c.requirement ? ` [${c.requirement}]` : '';
    lines.push(`  ${pad(c.id, 22)} ${lpad(String(c.completionMs), 5)} ms of ${lpad(String(c.budgetMs), 5)} ms: ${verdict}${req}`);
    lines.push(`  ${pad('', 22)} path: ${c.criticalPath.join(' → ')}`);
  }
  return lines.join('\n');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const GUEST_COLOURS = ['#4e79a7', '#59a14f', '#f28e2b', '#b07aa1', '#76b7b2', '#edc948'];

/** An SVG Gantt chart of the schedule, with the deadline of each case that has one in view. */
export function bootTimelineSvg(check: BootCheck, opts: { widthPx?: number; untilMs?: number } = {}): string {
  const width = opts.widthPx ?? 720;
  const label = 175;
  const row = 16;
  const top = 24;
  const untilMs = opts.untilMs ?? Math.max(...check.schedule.map((s) => s.endMs));
  const x = (t: number) => label + Math.round(((width - label - 10) * Math.min(t, untilMs)) / untilMs);
  const guests = ['platform', ...check.plan.guests.map((g) => g.name)];
  const rows = [...check.schedule].sort((a, b) => guests.indexOf(a.guest) - guests.indexOf(b.guest) || a.startMs - b.startMs);
  const height = top + rows.length * row + 40;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="10">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
  ];
  for (let t = 0; t <= untilMs; t += 500) {
    out.push(`<line x1="${x(t)}" y1="${top - 4}" x2="${x(t)}" y2="${height - 30}" stroke="#ddd"/>`);
    out.push(`<text x="${x(t)}" y="${height - 18}" text-anchor="middle" fill="#555">${t / 1000} s</text>`);
  }
  rows.forEach((s, i) => {
    const y = top + i * row;
    const colour = GUEST_COLOURS[guests.indexOf(s.guest) % GUEST_COLOURS.length];
    out.push(`<text x="4" y="${y + 11}" fill="#222">${esc(`${s.guest}: ${s.id}`)}</text>`);
    const w = Math.max(1, x(s.endMs) - x(s.startMs));
    out.push(`<rect x="${x(s.startMs)}" y="${y + 2}" width="${w}" height="${row - 4}" fill="${colour}"><title>${esc(`${s.id}: ${s.startMs}–${s.endMs} ms, ${s.what}`)}</title></rect>`);
  });
  check.cases.forEach((c, i) => {
    const t = c.fromMs + c.budgetMs;
    if (t > untilMs) return;
    const stroke = c.withinBudget ? '#2a7d2a' : '#c0392b';
    out.push(`<line x1="${x(t)}" y1="${top - 6}" x2="${x(t)}" y2="${height - 30}" stroke="${stroke}" stroke-dasharray="4 2"/>`);
    out.push(`<text x="${x(t) + 2}" y="${10 + (i % 2) * 9}" fill="${stroke}">${esc(c.id)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
