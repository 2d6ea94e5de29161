// A picture of a victim's latencies over a run, as an SVG string: latency on a logarithmic
// axis (so that microseconds and tens of milliseconds fit one picture) against the model time
// each message was made available, one line per run, horizontal reference lines (a deadline,
// a bound), and a cross in a band above the plot for every message that never got through.
// Deterministic text, no DOM: examples hand it to showSvg().
import type { LatencySample } from './latency.ts';

export interface PlotSeries {
  readonly name: string;
  readonly colour: string;
  readonly samples: readonly LatencySample[];
}

export interface PlotLine {
  readonly label: string;
  readonly valueUs: number;
  readonly colour: string;
}

export interface LatencyPlotOptions {
  /** The run's length in model time (µs): the x axis. */
  readonly durationUs: number;
  /** The y axis, from one power of ten to another (µs). */
  readonly minUs: number;
  readonly maxUs: number;
  readonly xLabel: string;
  readonly series: readonly PlotSeries[];
  readonly lines?: readonly PlotLine[];
}

const W = 560, H = 300, X0 = 58, Y0 = 34, PW = W - X0 - 20, PH = H - Y0 - 66;

function fmtUs(us: number): string {
  if (us >= 1000) return `${+(us / 1000).toPrecision(3)} ms`;
  return `${+us.toPrecision(3)} µs`;
}

// #region latency-plot
export function latencyPlotSvg(o: LatencyPlotOptions): string {
  const lo = Math.log10(o.minUs);
  const hi = Math.log10(o.maxUs);
  if (!(Number.isInteger(lo) && Number.isInteger(hi) && hi > lo)) throw new RangeError('minUs and maxUs: powers of ten, minUs < maxUs');
  const x = (us: number) => (X0 + (Math.min(Math.max(us, 0), o.durationUs) / o.durationUs) * PW).toFixed(1);
  const y = (us: number) => (Y0 + PH - ((Math.min(Math.max(Math.log10(us), lo), hi) - lo) / (hi - lo)) * PH).toFixed(1);
  const never = Y0 - 14; // the band for messages that never got through
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="10">`;
  svg += `<rect x="${X0}" y="${Y0}" width="${PW}" height="${PH}" fill="none" stroke="#888"/>`;
  for (let d = lo; d <= hi; d++) {
    const v = 10 ** d;
    svg += `<line x1="${X0}" x2="${X0 + PW}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/><text x="${X0 - 6}" y="${Number(y(v)) + 3}" text-anchor="end">${fmtUs(v)}</text>`;
  }
  svg += `<text x="${X0 - 6}" y="${never + 3}" text-anchor="end">never</text>`;
  for (let i = 0; i <= 5; i++) {
    const t = (o.durationUs * i) / 5;
    svg += `<text x="${x(t)}" y="${Y0 + PH + 14}" text-anchor="middle">${+(t / 1000).toPrecision(4)}</text>`;
  }
  svg += `<text x="${X0 + PW / 2}" y="${Y0 + PH + 30}" text-anchor="middle">${o.xLabel}</text>`;
  svg += `<text x="12" y="${Y0 + PH / 2}" text-anchor="middle" transform="rotate(-90 12 ${Y0 + PH / 2})">latency (log scale)</text>`;
  (o.lines ?? []).forEach((l, i) => {
    // Labels alternate: above the line at the right, below it at the left, so close lines stay legible.
    const ly = Number(y(l.valueUs));
    svg += `<line x1="${X0}" x2="${X0 + PW}" y1="${ly}" y2="${ly}" stroke="${l.colour}" stroke-dasharray="4 3"/>`;
    svg += i % 2 === 0
      ? `<text x="${X0 + PW - 4}" y="${ly - 4}" text-anchor="end" fill="${l.colour}">${l.label}</text>`
      : `<text x="${X0 + 4}" y="${ly + 11}" fill="${l.colour}">${l.label}</text>`;
  });
  o.series.forEach((s, i) => {
    // One polyline per stretch of messages that got through; a cross for each that did not.
    let run: string[] = [];
    const flush = () => {
      if (run.length > 1) svg += `<polyline points="${run.join(' ')}" fill="none" stroke="${s.colour}" stroke-width="1.5"/>`;
      else if (run.length === 1) svg += `<circle cx="${run[0].split(',')[0]}" cy="${run[0].split(',')[1]}" r="1.5" fill="${s.colour}"/>`;
      run = [];
    };
    for (const p of s.samples) {
      if (p.latencyUs === null) {
        flush();
        const cx = Number(x(p.at));
        svg += `<path d="M${(cx - 2).toFixed(1)} ${never - 2}l4 4m0 -4l-4 4" stroke="${s.colour}"/>`;
      } else run.push(`${x(p.at)},${y(Math.max(p.latencyUs, o.minUs))}`);
    }
    flush();
    const lx = X0 + i * (PW / 2);
    svg += `<rect x="${lx}" y="${H - 14}" width="10" height="3" fill="${s.colour}"/><text x="${lx + 14}" y="${H - 10}">${s.name}</text>`;
  });
  return svg + '</svg>';
}
// #endregion latency-plot
