// `npm run fuzz [-- --cases N --seed S --publish]`: the seeded generator of malformed rings
// (src/lib/conformance/ring-fuzz.ts) on both ring layouts at once, one worker each, until N cases
// per layout (default one million) have run. Prints cases per second as it goes and how the cases
// ended (which error the device recorded, or chains taken); stops at the first finding with the
// seed that reproduces it. A worker that stops reporting for 30 s is a hang, reported with the
// seeds it was running. Writes the figures to .cache/fuzz/results.json.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { fuzzRange } from '../src/lib/conformance/ring-fuzz.ts';

const BATCH = 5_000;
const HANG_MS = 30_000;

interface Progress {
  ring: 'split' | 'packed';
  done: number;
  outcomes: Record<string, number>;
  finding?: { seed: number; problem: string };
}

if (!isMainThread) {
  const { ring, seed, cases } = workerData as { ring: 'split' | 'packed'; seed: number; cases: number };
  const outcomes: Record<string, number> = {};
  const count = (how: string) => (outcomes[how] = (outcomes[how] ?? 0) + 1);
  for (let done = 0; done < cases; ) {
    const n = Math.min(BATCH, cases - done);
    const finding = fuzzRange(ring, seed + done, n, count);
    done += n;
    parentPort!.postMessage({ ring, done, outcomes, finding: finding ? { seed: finding.seed, problem: finding.problem } : undefined } satisfies Progress);
    if (finding) break;
  }
} else {
  const arg = (name: string, dflt: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : dflt;
  };
  const cases = arg('cases', 1_000_000);
  const seed = arg('seed', 1);
  const started = performance.now();
  const results: Record<string, Progress & { casesPerSecond: number }> = {};
  let failed = false;
  await Promise.all(
    (['split', 'packed'] as const).map(
      (ring) =>
        new Promise<void>((resolve) => {
          const w = new Worker(new URL(import.meta.url), { workerData: { ring, seed, cases } });
          let last = { at: performance.now(), done: 0 };
          const watch = setInterval(() => {
            if (performance.now() - last.at > HANG_MS) {
              console.error(`${ring}: HANG, no progress for ${HANG_MS / 1000} s in seeds ${seed + last.done}..${seed + last.done + BATCH - 1}`);
              failed = true;
              void w.terminate();
            }
          }, 1000);
          w.on('message', (p: Progress) => {
            last = { at: performance.now(), done: p.done };
            const s = (performance.now() - started) / 1000;
            results[ring] = { ...p, casesPerSecond: p.done / s };
            if (p.done % 100_000 === 0 || p.done === cases) console.log(`${ring.padEnd(6)} ${p.done.toLocaleString('en-US').padStart(11)} cases, ${Math.round(p.done / s).toLocaleString('en-US')} cases/s`);
            if (p.finding) {
              console.error(`${ring}: FINDING at seed ${p.finding.seed}: ${p.finding.problem} (replay: fuzzCase(${p.finding.seed}, '${ring}'))`);
              failed = true;
            }
          });
          w.on('error', (e) => {
            console.error(`${ring}: the worker failed: ${e.message}`);
            failed = true;
          });
          w.on('exit', () => {
            clearInterval(watch);
            resolve();
          });
        }),
    ),
  );
  for (const [ring, r] of Object.entries(results)) {
    const top = Object.entries(r.outcomes).sort((a, b) => b[1] - a[1]);
    console.log(`${ring}: ${r.done.toLocaleString('en-US')} cases; ended as: ${top.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  const machine = { cpu: cpus()[0]?.model ?? null, cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30) };
  const report = { date: new Date().toISOString(), node: process.version, seed, machine, results };
  mkdirSync('.cache/fuzz', { recursive: true });
  writeFileSync('.cache/fuzz/results.json', JSON.stringify(report, null, 2) + '\n');
  // --publish: a clean run of the full count becomes the figure the site shows.
  if (process.argv.includes('--publish') && !failed) {
    const file = 'src/content/performance.json';
    const published = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
    writeFileSync(file, JSON.stringify({ ...published, fuzz: report }, null, 2) + '\n');
    console.log(`published to ${file}`);
  }
  console.log(failed ? 'fuzz: FAILED' : `fuzz: no finding in ${cases.toLocaleString('en-US')} cases per ring layout (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  process.exit(failed ? 1 : 0);
}
