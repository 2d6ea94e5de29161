// Two guests share one 500 kbit/s CAN bus: the IVI keeps its Txq full of frames on an identifier that wins arbitration while the cluster sends a cyclic frame every 10 ms; the plot shows the cluster's latency to the wire over one second of model time, without budgets and with the bus's budget table.
import { interference, showSvg } from '../src/lib/index.ts';

const { CAN_COCKPIT_BUDGETS: table, canCockpitScenario, runCanInterference, canResponseBoundUs, canFrameBudgetUs, canBusShareOk } = interference;
const sc = canCockpitScenario(true);
const ms = (us: number) => (Number.isFinite(us) ? `${(us / 1000).toFixed(3)} ms` : 'never');

// Each frame is charged its longest time on the wire: 8 data bytes, extended format, worst-case stuffing.
const frameUs = canFrameBudgetUs(sc.bitrate, 8, false);
console.log(`bus ${sc.bitrate / 1000} kbit/s; charge per 8-byte frame ${frameUs} µs (the model bus sends a base-format one in 222 µs)`);
console.log('budget table of the bus (one virtio-can instance per guest):');
for (const [guest, row, id] of [['ivi', table.aggressor, sc.aggressor.id], ['cluster', table.victim, sc.victim.id]] as const) {
  console.log(`  ${guest.padEnd(8)} id 0x${id.toString(16).padStart(3, '0')}  frames ${row.requests!.perSecond}/s burst ${row.requests!.burst}, bus time ${row.backendUs!.perSecond} µs/s burst ${row.backendUs!.burst} µs`);
}
const share = (table.aggressor.backendUs!.perSecond + table.victim.backendUs!.perSecond) / 10_000;
console.log(`guests' share of the bus: ${share} % (${canBusShareOk([table.aggressor, table.victim]) ? 'within' : 'over'} the 50 % limit)`);
// The cluster loses arbitration to the IVI; a frame of another node may already be on the wire.
const bound = canResponseBoundUs({ limits: table.victim, maxFrameUs: frameUs }, [{ limits: table.aggressor, maxFrameUs: frameUs }], frameUs);
console.log(`bound on the cluster's frame, request to end of frame: ${bound} µs; its deadline: ${sc.victim.deadlineUs} µs`);

const runs = [
  { name: 'without budgets', colour: '#c0392b', r: runCanInterference(canCockpitScenario(false)) },
  { name: 'with budgets', colour: '#2471a3', r: runCanInterference(sc) },
];
for (const { name, r } of runs) {
  const s = r.summary;
  console.log(
    `${name.padEnd(16)} cluster: ${s.completed}/${s.judged} frames on the wire, ${s.misses} missed the deadline (${r.victim.lostInDriver} never left a full Txq); ` +
      `latency p50 ${ms(s.p50Us)}, p99 ${ms(s.p99Us)}, max ${ms(s.maxUs)}`,
  );
  console.log(
    `${''.padEnd(16)} ivi: ${r.aggressor.onWire} frames on the wire, ${r.aggressor.throttled} waited for tokens, charged ${r.aggressor.chargedUs} µs, on the wire ${r.aggressor.wireUs} µs; bus load ${(r.busLoad * 100).toFixed(1)} %`,
  );
}

const [off, on] = runs.map((x) => x.r);
showSvg(
  interference.latencyPlotSvg({
    durationUs: sc.durationUs,
    minUs: 100,
    maxUs: 100_000,
    xLabel: "model time the cluster's frame was made available (ms)",
    series: runs.map(({ name, colour, r }) => ({
      name: r.summary.completed ? `${name} (max ${ms(r.summary.maxUs)})` : `${name} (none on the wire)`,
      colour,
      samples: r.samples,
    })),
    lines: [
      { label: `deadline ${sc.victim.deadlineUs / 1000} ms`, valueUs: sc.victim.deadlineUs, colour: '#c0392b' },
      { label: `bound from the budget table ${ms(bound)}`, valueUs: bound, colour: '#555' },
    ],
  }),
  `Cluster CAN frame latency over 1 s of model time at 500 kbit/s: without budgets none of its ${off.summary.judged} frames reaches the wire; with budgets all do, at most ${ms(on.summary.maxUs)}, under the ${ms(bound)} bound and the 10 ms deadline`,
);
