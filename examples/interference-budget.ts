// Two guests share one block back end: the IVI floods it with 64 KiB writes while the cluster reads 4 KiB every millisecond; the plot shows the latency the cluster sees over 100 ms of model time, without budgets and with the budget table enforced by the devices.
import { interference, showSvg } from '../src/lib/index.ts';

const { COCKPIT_BUDGETS: table, cockpitScenario, runBlockInterference, interferenceBoundUs, blockRequestCost } = interference;
const timing = cockpitScenario(true).backend;

// The budget table: one row per guest on this device instance.
const rate = (r: { perSecond: number; burst: number } | undefined, unit = '') => (r ? `${r.perSecond}${unit}/s burst ${r.burst}${unit}` : '-');
console.log('budget table of the shared disk (one virtio-blk instance per guest):');
for (const [guest, row] of [['ivi', table.aggressor], ['cluster', table.victim]] as const) {
  console.log(`  ${guest.padEnd(8)} notifications ${rate(row.notifications)}, requests ${rate(row.requests)}, bytes ${rate(row.bytes, ' B')}, back-end time ${rate(row.backendUs, ' µs')}`);
}
const bound = interferenceBoundUs([
  { limits: table.aggressor, maxCostUs: blockRequestCost(timing, 128 * 512) },
  { limits: table.victim, maxCostUs: blockRequestCost(timing, 8 * 512) },
]);
console.log(`back-end time shares add up to ${(table.aggressor.backendUs!.perSecond + table.victim.backendUs!.perSecond) / 10_000} %; bound on the cluster's latency: ${bound} µs`);

const runs = [
  { name: 'without budgets', colour: '#c0392b', r: runBlockInterference(cockpitScenario(false)) },
  { name: 'with budgets', colour: '#2471a3', r: runBlockInterference(cockpitScenario(true)) },
];
for (const { name, r } of runs) {
  console.log(
    `${name.padEnd(16)} cluster: ${r.victim.completed}/${r.victim.submitted} reads served, latency max ${r.maxLatencyUs} µs, mean ${r.meanLatencyUs} µs; ` +
      `ivi: ${r.aggressor.completed} writes served, ${r.aggressor.throttled} waited for tokens; back-end time ivi ${r.backendUs.aggressor} µs, cluster ${r.backendUs.victim} µs`,
  );
}

// The plot: the cluster's latency (ms) against the model time its read was made (ms).
const W = 560, H = 260, X0 = 50, Y0 = 20, PW = W - X0 - 20, PH = H - Y0 - 40;
const maxMs = 15;
const x = (us: number) => (X0 + (us / 100_000) * PW).toFixed(1);
const y = (us: number) => (Y0 + PH - (Math.min(us / 1000, maxMs) / maxMs) * PH).toFixed(1);
let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="10">`;
svg += `<rect x="${X0}" y="${Y0}" width="${PW}" height="${PH}" fill="none" stroke="#888"/>`;
for (let ms = 0; ms <= maxMs; ms += 5) svg += `<text x="${X0 - 6}" y="${Number(y(ms * 1000)) + 3}" text-anchor="end">${ms}</text><line x1="${X0}" x2="${X0 + PW}" y1="${y(ms * 1000)}" y2="${y(ms * 1000)}" stroke="#eee"/>`;
for (let ms = 0; ms <= 100; ms += 20) svg += `<text x="${x(ms * 1000)}" y="${Y0 + PH + 14}" text-anchor="middle">${ms}</text>`;
svg += `<text x="${X0 + PW / 2}" y="${H - 6}" text-anchor="middle">model time of the cluster's read (ms)</text>`;
svg += `<text x="12" y="${Y0 + PH / 2}" text-anchor="middle" transform="rotate(-90 12 ${Y0 + PH / 2})">latency (ms)</text>`;
svg += `<line x1="${X0}" x2="${X0 + PW}" y1="${y(bound)}" y2="${y(bound)}" stroke="#555" stroke-dasharray="4 3"/><text x="${X0 + PW - 4}" y="${Number(y(bound)) - 4}" text-anchor="end">bound from the budget table, ${(bound / 1000).toFixed(2)} ms</text>`;
runs.forEach(({ name, colour, r }, i) => {
  const pts = r.samples.map((s) => `${x(s.at)},${y(s.latencyUs)}`).join(' ');
  svg += `<polyline points="${pts}" fill="none" stroke="${colour}" stroke-width="1.5"/>`;
  svg += `<rect x="${X0 + 10}" y="${Y0 + 60 + i * 14}" width="10" height="3" fill="${colour}"/><text x="${X0 + 24}" y="${Y0 + 64 + i * 14}">${name} (max ${(r.maxLatencyUs / 1000).toFixed(2)} ms)</text>`;
});
svg += '</svg>';
const [off, on] = runs.map((x) => x.r);
showSvg(
  svg,
  `Cluster read latency over 100 ms of model time: without budgets it climbs to ${(off.maxLatencyUs / 1000).toFixed(1)} ms behind the IVI's writes; with budgets it stays under the ${(bound / 1000).toFixed(2)} ms bound, at most ${(on.maxLatencyUs / 1000).toFixed(2)} ms`,
);
