// Two guests share the 100 Mbit/s uplink of a virtual switch: the IVI streams full-size frames while the cluster sends a 128-byte frame every millisecond; the plot shows the cluster's latency to the end of the uplink over 100 ms of model time, without budgets and with the switch's budget table.
import { interference, showSvg } from '../src/lib/index.ts';

const { NET_COCKPIT_BUDGETS: table, netCockpitScenario, runNetInterference, interferenceBoundUs, netTxCost, ethernetWireNs } = interference;
const sc = netCockpitScenario(true);
const ms = (us: number) => `${(us / 1000).toFixed(3)} ms`;

// Each frame is charged its time on the uplink: padding, FCS, preamble and inter-frame gap included.
const cost = netTxCost(sc.linkMbps);
const aCost = Math.ceil(cost(12 + sc.aggressor.frameBytes));
const vCost = Math.ceil(cost(12 + sc.victim.frameBytes));
console.log(`uplink ${sc.linkMbps} Mbit/s; a ${sc.aggressor.frameBytes}-byte frame holds it ${ethernetWireNs(sc.aggressor.frameBytes, sc.linkMbps) / 1000} µs (charged ${aCost} µs), a ${sc.victim.frameBytes}-byte frame ${ethernetWireNs(sc.victim.frameBytes, sc.linkMbps) / 1000} µs (charged ${vCost} µs)`);
console.log('budget table of the uplink (one virtio-net instance per guest):');
for (const [guest, row] of [['ivi', table.aggressor], ['cluster', table.victim]] as const) {
  console.log(`  ${guest.padEnd(8)} frames ${row.requests!.perSecond}/s burst ${row.requests!.burst}, bytes ${row.bytes!.perSecond} B/s burst ${row.bytes!.burst} B, link time ${row.backendUs!.perSecond} µs/s burst ${row.backendUs!.burst} µs`);
}
// The uplink sends frames in the order they reach it: the bound is the backlog the table allows.
const bound = interferenceBoundUs([
  { limits: table.aggressor, maxCostUs: aCost },
  { limits: table.victim, maxCostUs: vCost },
]);
console.log(`link time shares add up to ${(table.aggressor.backendUs!.perSecond + table.victim.backendUs!.perSecond) / 10_000} %; bound on the cluster's latency: ${bound} µs; its deadline: ${sc.victim.deadlineUs} µs`);

const runs = [
  { name: 'without budgets', colour: '#c0392b', r: runNetInterference(netCockpitScenario(false)) },
  { name: 'with budgets', colour: '#2471a3', r: runNetInterference(sc) },
];
for (const { name, r } of runs) {
  const s = r.summary;
  console.log(`${name.padEnd(16)} cluster: ${s.judged} frames, ${s.misses} missed the deadline; latency p50 ${ms(s.p50Us)}, p99 ${ms(s.p99Us)}, max ${ms(s.maxUs)}`);
  console.log(`${''.padEnd(16)} ivi: ${r.aggressor.onLink} frames on the uplink, ${r.aggressor.throttled} waited for tokens; uplink load ${(r.linkLoad * 100).toFixed(1)} %; frames dropped ${r.txDrops}`);
}

const [off, on] = runs.map((x) => x.r);
showSvg(
  interference.latencyPlotSvg({
    durationUs: sc.durationUs,
    minUs: 10,
    maxUs: 100_000,
    xLabel: "model time the cluster's frame was made available (ms)",
    series: runs.map(({ name, colour, r }) => ({ name: `${name} (max ${ms(r.summary.maxUs)})`, colour, samples: r.samples })),
    lines: [
      { label: `deadline ${sc.victim.deadlineUs / 1000} ms`, valueUs: sc.victim.deadlineUs, colour: '#c0392b' },
      { label: `bound from the budget table ${ms(bound)}`, valueUs: bound, colour: '#555' },
    ],
  }),
  `Cluster frame latency through the 100 Mbit/s uplink over 100 ms of model time: without budgets every frame waits about ${(off.summary.p50Us / 1000).toFixed(0)} ms behind the IVI's; with budgets at most ${ms(on.summary.maxUs)}, under the ${ms(bound)} bound and the 1 ms deadline`,
);
