import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { barChart, parsePerformance } from '../../../src/lib/spec/performance.ts';
import { PERFORMANCE_FILE } from '../../../src/lib/spec/performance-files.ts';

const published = () => JSON.parse(readFileSync(PERFORMANCE_FILE, 'utf8'));

describe('published performance figures', () => {
  it('the shipped file validates, with ring rows for both layouts and a ratio per row', () => {
    const p = parsePerformance(PERFORMANCE_FILE, published());
    expect(new Set(p.bench.rows.map((r) => r.ring))).toEqual(new Set(['split', 'packed']));
    for (const r of p.bench.rows) expect(r.ratio).toBeCloseTo(r.nsPerDescriptor / r.bareNsPerDescriptor, 1);
  });

  it('a bad field fails naming its path', () => {
    const raw = published();
    raw.bench.rows[2].ratio = -1;
    expect(() => parsePerformance('perf.json', raw)).toThrow(/perf\.json: field "bench\.rows\.2\.ratio"/);
    const missing = published();
    delete missing.bench.node;
    expect(() => parsePerformance('perf.json', missing)).toThrow(/field "bench\.node"/);
    const extra = published();
    extra.bench.rows[0].speedup = 3;
    expect(() => parsePerformance('perf.json', extra)).toThrow(/bench\.rows\.0/);
    const runs = published();
    runs.bench.runsPerRow = 0;
    expect(() => parsePerformance('perf.json', runs)).toThrow(/field "bench\.runsPerRow"/);
  });
});

describe('barChart', () => {
  it('draws one bar per value, scaled to the largest, with the values printed and labels escaped', () => {
    const svg = barChart({ title: 'T', unit: 'ns', bars: [{ label: 'a<b', value: 10 }, { label: 'c', value: 40 }] });
    const widths = [...svg.matchAll(/class="perf-bar"[^>]*>|<rect x="\d+" y="[\d.]+" width="([\d.]+)" height="14"/g)].map((m) => Number(m[1])).filter((n) => n > 0);
    expect(widths).toHaveLength(2);
    expect(widths[1] / widths[0]).toBeCloseTo(4, 1);
    expect(svg).toContain('a&lt;b');
    expect(svg).not.toContain('a<b');
    expect(svg).toContain('>40.0<');
    expect(svg).toMatch(/role="img" aria-label="T, in ns"/);
  });

  it('draws the comparison bars, the legend and the target line when asked', () => {
    const svg = barChart({ title: 'T', unit: 'x', target: 3, bars: [{ label: 'a', value: 6, compare: 2 }], valueLabel: 'checked', compareLabel: 'bare' });
    expect(svg.match(/class="perf-compare"/g)).toHaveLength(2); // the bar and its legend swatch
    expect(svg).toContain('class="perf-target"');
    expect(svg).toContain('target 3.0');
    expect(svg).toContain('>checked<');
    expect(svg).toContain('>bare<');
  });
});
