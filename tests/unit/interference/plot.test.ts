// The latency picture of the interference examples (src/lib/interference/plot.ts).
import { describe, expect, it } from 'vitest';
import { latencyPlotSvg } from '../../../src/lib/interference/plot.ts';

const base = { durationUs: 1000, minUs: 10, maxUs: 10_000, xLabel: 'time (ms)' };

describe('latencyPlotSvg', () => {
  it('draws a line through the messages that got through and a cross for each that did not', () => {
    const svg = latencyPlotSvg({
      ...base,
      series: [{ name: 'run', colour: '#123456', samples: [{ at: 0, latencyUs: 100 }, { at: 100, latencyUs: 1000 }, { at: 200, latencyUs: null }, { at: 300, latencyUs: 10 }, { at: 400, latencyUs: 10 }] }],
      lines: [{ label: 'deadline', valueUs: 1000, colour: '#ff0000' }],
    });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    const lines = [...svg.matchAll(/<polyline points="([^"]+)"/g)].map((m) => m[1].split(' ').length);
    expect(lines).toEqual([2, 2]); // broken at the message that never got through
    expect(svg.match(/<path d="M/g)).toHaveLength(1);
    expect(svg).toContain('>deadline</text>');
    expect(svg).toContain('>run</text>');
  });

  it('puts latencies on a log scale: each power of ten the same height apart', () => {
    const svg = latencyPlotSvg({ ...base, series: [{ name: 'r', colour: '#000', samples: [{ at: 0, latencyUs: 10 }, { at: 500, latencyUs: 100 }, { at: 1000, latencyUs: 1000 }] }] });
    const ys = [...svg.match(/<polyline points="([^"]+)"/)![1].split(' ')].map((p) => Number(p.split(',')[1]));
    expect(ys[0] - ys[1]).toBeCloseTo(ys[1] - ys[2], 0); // coordinates are rounded to 0.1 px
    expect(ys[0]).toBeGreaterThan(ys[1]);
  });

  it('refuses axis limits that are not powers of ten', () => {
    expect(() => latencyPlotSvg({ ...base, minUs: 20, series: [] })).toThrow(RangeError);
  });
});
