// The published benchmark and fuzzing figures (src/content/performance.json, written by
// `npm run bench -- --publish` and `npm run fuzz -- --publish`), validated with zod so that a bad
// or missing field fails the build naming it, and drawn as SVG bar charts for the Performance page.
import { z } from 'zod';
import { SpecError } from './errors.ts';

const ringRow = z
  .object({
    ring: z.enum(['split', 'packed']),
    chainLength: z.number().int().positive(),
    indirect: z.boolean(),
    chains: z.number().int().nonnegative(),
    descriptors: z.number().int().nonnegative(),
    nsPerDescriptor: z.number().positive(),
    bareNsPerDescriptor: z.number().positive(),
    ratio: z.number().positive(),
    chainsPerSecond: z.number().positive(),
    bytesPerChain: z.number().nonnegative().nullable(),
  })
  .strict();

const systemRow = z.object({ name: z.string().min(1), unit: z.string().min(1), perSecond: z.number().positive(), count: z.number().int().positive() }).strict();

const machine = z.object({ cpu: z.string().nullable(), cores: z.number().int().positive(), memoryGiB: z.number().nonnegative() }).strict();

const bench = z
  .object({
    date: z.string().datetime(),
    node: z.string().regex(/^v\d+\.\d+\.\d+$/, 'a Node version such as v22.23.3'),
    machine,
    queueSize: z.number().int().positive(),
    budgetMs: z.number().positive(),
    /** Fresh processes per ring row, the median one reported; absent in runs before it was counted. */
    runsPerRow: z.number().int().positive().optional(),
    rows: z.array(ringRow).min(1),
    system: z.array(systemRow),
  })
  .strict();

const fuzzRing = z
  .object({
    ring: z.enum(['split', 'packed']),
    done: z.number().int().nonnegative(),
    outcomes: z.record(z.string(), z.number().int().nonnegative()),
    casesPerSecond: z.number().positive(),
  })
  .strict();

const fuzz = z
  .object({
    date: z.string().datetime(),
    node: z.string().regex(/^v\d+\.\d+\.\d+$/, 'a Node version such as v22.23.3'),
    seed: z.number().int(),
    machine: machine.optional(),
    results: z.object({ split: fuzzRing, packed: fuzzRing }).strict(),
  })
  .strict();

export const performanceSchema = z.object({ bench, fuzz: fuzz.optional() }).strict();
export type Performance = z.infer<typeof performanceSchema>;
export type RingBenchRow = z.infer<typeof ringRow>;

export function parsePerformance(file: string, raw: unknown): Performance {
  const result = performanceSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `field "${i.path.join('.') || '(root)'}": ${i.message}`);
    throw new SpecError('PERFORMANCE_MALFORMED', `${file}: ${problems.join('; ')}`);
  }
  return result.data;
}

// #region bar-chart
export interface Bar {
  readonly label: string;
  readonly value: number;
  /** A second value drawn beside the first (the bare loop beside the checked path), or none. */
  readonly compare?: number;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (n: number, digits: number) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/**
 * A horizontal bar chart as SVG text: one row per bar, the value printed at its end, an optional
 * thinner second bar under it, and a dashed target line. Colours come from CSS classes
 * (perf-bar, perf-compare, perf-target) so the chart follows the light and dark themes.
 */
export function barChart(opts: { title: string; unit: string; bars: readonly Bar[]; digits?: number; target?: number; compareLabel?: string; valueLabel?: string }): string {
  const { title, unit, bars, digits = 1, target } = opts;
  const rowH = bars.some((b) => b.compare !== undefined) ? 34 : 24;
  const labelW = 190;
  const plotW = 420;
  const top = 30;
  const height = top + rowH * bars.length + 30;
  const max = Math.max(target ?? 0, ...bars.map((b) => Math.max(b.value, b.compare ?? 0))) * 1.15 || 1;
  const x = (v: number) => labelW + (v / max) * plotW;
  const rows = bars.map((b, i) => {
    const y = top + i * rowH;
    const parts = [
      `<text x="${labelW - 8}" y="${y + 14}" text-anchor="end" class="perf-label">${esc(b.label)}</text>`,
      `<rect x="${labelW}" y="${y + 3}" width="${Math.max(1, x(b.value) - labelW).toFixed(1)}" height="14" class="perf-bar"><title>${esc(`${b.label}: ${num(b.value, digits)} ${unit}`)}</title></rect>`,
      `<text x="${(x(b.value) + 4).toFixed(1)}" y="${y + 14}" class="perf-value">${num(b.value, digits)}</text>`,
    ];
    if (b.compare !== undefined) {
      parts.push(
        `<rect x="${labelW}" y="${y + 20}" width="${Math.max(1, x(b.compare) - labelW).toFixed(1)}" height="8" class="perf-compare"><title>${esc(`${b.label}, ${opts.compareLabel ?? 'compare'}: ${num(b.compare, digits)} ${unit}`)}</title></rect>`,
      );
    }
    return parts.join('');
  });
  const targetLine =
    target === undefined
      ? ''
      : `<line x1="${x(target).toFixed(1)}" x2="${x(target).toFixed(1)}" y1="${top - 4}" y2="${top + rowH * bars.length}" class="perf-target"/>` +
        `<text x="${(x(target) + 3).toFixed(1)}" y="${top - 8}" class="perf-value">target ${num(target, digits)}</text>`;
  const legend = bars.some((b) => b.compare !== undefined)
    ? `<rect x="${labelW}" y="${height - 18}" width="12" height="10" class="perf-bar"/><text x="${labelW + 16}" y="${height - 9}" class="perf-label">${esc(opts.valueLabel ?? 'value')}</text>` +
      `<rect x="${labelW + 170}" y="${height - 16}" width="12" height="6" class="perf-compare"/><text x="${labelW + 186}" y="${height - 9}" class="perf-label">${esc(opts.compareLabel ?? 'compare')}</text>`
    : '';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${labelW + plotW + 80} ${height}" role="img" aria-label="${esc(`${title}, in ${unit}`)}" class="perf-chart">` +
    `<text x="0" y="16" class="perf-title">${esc(`${title} (${unit})`)}</text>${rows.join('')}${targetLine}${legend}</svg>`
  );
}
// #endregion bar-chart

/** The label of a ring bench row, e.g. "split, 16, indirect". */
export function rowLabel(r: RingBenchRow): string {
  return `${r.ring}, ${r.chainLength} desc, ${r.indirect ? 'indirect' : 'direct'}`;
}
