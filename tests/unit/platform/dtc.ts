// Runs Debian's device tree compiler on a source text or a blob given on stdin. Tests fail on
// any warning: dtc prints every warning on stderr, so a clean run has an empty stderr.
import { spawnSync } from 'node:child_process';
import { ensureDtc } from '../../../scripts/ensure-dtc.mjs';

const dtc = ensureDtc();

/** Extra checks that dtc 1.6 leaves off by default and that our trees pass. */
export const DTC_EXTRA_WARNINGS = ['-W', 'unique_unit_address', '-W', 'unique_unit_address_if_enabled'];

export interface DtcRun {
  status: number | null;
  stdout: Uint8Array;
  stderr: string;
}

function run(args: string[], input: Uint8Array | string): DtcRun {
  const r = spawnSync(dtc, [...DTC_EXTRA_WARNINGS, ...args, '-o', '-', '-'], { input, maxBuffer: 16 << 20 });
  return { status: r.status, stdout: new Uint8Array(r.stdout), stderr: r.stderr.toString() };
}

/** dtc -I dts -O dtb: source text to blob. */
export const compileDts = (dts: string) => run(['-I', 'dts', '-O', 'dtb'], dts);
/** dtc -I dtb -O dts: blob to source text. */
export const decompileDtb = (dtb: Uint8Array) => run(['-I', 'dtb', '-O', 'dts'], dtb);
export const text = (b: Uint8Array) => new TextDecoder().decode(b);
