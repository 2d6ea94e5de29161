// `npm run bench`: the device side of both ring layouts (chain lengths 1, 4 and 16, direct and
// indirect, every validation on) against a bare loop over the same rings with no checks, the
// bytes the checked path allocates per chain, and the throughput of the rest of the system.
// Prints tables and writes the figures as JSON. Benchmarks, not tests: nothing here asserts a time.
// Each ring row runs in a process of its own (bench/ring-row.ts, see measureApart below).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { RingType } from '../src/lib/index.ts';
import { QUEUE_SIZE, type RingRow } from './ring-row.ts';
import { systemRows } from './system.ts';

const BUDGET_MS = Number(process.env.BENCH_MS ?? 400);
const OUT = process.env.BENCH_OUT ?? '.cache/bench/results.json';
const PUBLISHED = 'src/content/performance.json';
const ROW_SCRIPT = fileURLToPath(new URL('./ring-row.ts', import.meta.url));

/** How many fresh processes measure each row; the row reported is the one with the median ratio. */
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
if (!Number.isInteger(REPEAT) || REPEAT < 1) throw new Error(`BENCH_REPEAT "${process.env.BENCH_REPEAT}": expected a whole number of runs, 1 or more`);
if (!(BUDGET_MS > 0)) throw new Error(`BENCH_MS "${process.env.BENCH_MS}": expected a positive number of milliseconds`);

/**
 * Measures one row in a fresh Node process, with this process's flags (--expose-gc and the
 * rest). In one process the rows shaped each other's compiled code: once the bare loop had
 * followed an indirect table, it computed descriptor offsets as doubles in every later row and
 * ran up to twice as slowly, which flattered those rows' ratios; the checked path's code, too,
 * depended on the rows before it. A process per row measures each from the same start.
 */
function measureOnce(spec: string): RingRow {
  const child = spawnSync(process.execPath, [...process.execArgv, ROW_SCRIPT], {
    env: { ...process.env, BENCH_ROW: spec, BENCH_MS: String(BUDGET_MS) },
    encoding: 'utf8',
  });
  if (child.status !== 0) throw new Error(`bench row ${spec} failed (exit ${child.status}):\n${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as RingRow;
}

/**
 * The row measured REPEAT times, each in its own process: a machine shared with other work
 * can slow one process's run by half, and the median of several is steadier than any one.
 */
function measureApart(ring: RingType, chainLength: number, indirect: boolean): RingRow {
  const spec = `${ring},${chainLength},${indirect ? 'indirect' : 'direct'}`;
  const runs = Array.from({ length: REPEAT }, () => measureOnce(spec)).sort((a, b) => a.ratio - b.ratio);
  return runs[Math.floor(runs.length / 2)];
}

const rows: RingRow[] = [];
for (const ring of (process.env.BENCH_RINGS ?? 'split,packed').split(',') as RingType[]) {
  for (const chainLength of (process.env.BENCH_LENGTHS ?? '1,4,16').split(',').map(Number)) {
    for (const indirect of [false, true]) rows.push(measureApart(ring, chainLength, indirect));
  }
}
const system = process.env.BENCH_SYSTEM === '0' ? [] : systemRows(BUDGET_MS);

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const machine = { cpu: cpus()[0]?.model ?? null, cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30) };
console.log(`device side, validation on, queue size ${QUEUE_SIZE}, ${BUDGET_MS} ms per run, median of ${REPEAT} runs per row, Node ${process.version}, ${machine.cores} x ${machine.cpu}`);
console.log('ring    len  layout    ratio to bare   ns/descriptor   bare ns   chains/s   bytes/chain');
for (const r of rows) {
  console.log(
    `${r.ring.padEnd(7)} ${String(r.chainLength).padStart(3)}  ${(r.indirect ? 'indirect' : 'direct').padEnd(8)} ` +
      `${fmt(r.ratio, 2).padStart(12)}x ${fmt(r.nsPerDescriptor, 1).padStart(15)} ${fmt(r.bareNsPerDescriptor, 1).padStart(9)} ` +
      `${fmt(r.chainsPerSecond).padStart(10)} ${(r.bytesPerChain === null ? 'n/a' : fmt(r.bytesPerChain, 1)).padStart(13)}`,
  );
}
if (system.length > 0) {
  console.log('\nsystem (driver and device in one process)');
  for (const s of system) console.log(`${s.name.padEnd(56)} ${fmt(s.perSecond).padStart(10)} ${s.unit}`);
}
const results = { date: new Date().toISOString(), node: process.version, machine, queueSize: QUEUE_SIZE, budgetMs: BUDGET_MS, runsPerRow: REPEAT, rows, system };
mkdirSync(OUT.replace(/\/[^/]*$/, ''), { recursive: true });
writeFileSync(OUT, JSON.stringify(results, null, 2) + '\n');
console.log(`wrote ${OUT}`);
// --publish: these figures become the ones the site's Performance page shows (with the last
// published fuzzing figures, kept as they are).
if (process.argv.includes('--publish')) {
  const published = existsSync(PUBLISHED) ? JSON.parse(readFileSync(PUBLISHED, 'utf8')) : {};
  writeFileSync(PUBLISHED, JSON.stringify({ ...published, bench: results }, null, 2) + '\n');
  console.log(`published to ${PUBLISHED}`);
}
