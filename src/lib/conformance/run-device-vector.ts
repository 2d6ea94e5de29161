// Replays a device vector case against the reference device models, on each ring layout it
// names, through the in-process driver (Loopback). A failure says which ring, which step and
// what differed.
import { bit, type Features } from '../virtio/feature-bits.ts';
import { Loopback, type Completion } from '../virtio/loopback.ts';
import type { RingType } from '../virtio/queue-factory.ts';
import { DEVICE_NEEDS_RESET } from '../virtio/status.ts';
import { deviceModel } from './device-registry.ts';
import type { DeviceVectorCase, DeviceVectorStep, WrittenExpectation } from './device-vector-schema.ts';
import { hexBytes, toHex } from './parse-vector.ts';

export interface DeviceStepFailure {
  readonly ring: RingType;
  readonly step: number;
  readonly op: string;
  readonly message: string;
}

export type DeviceCaseResult = { readonly name: string; readonly ok: true; readonly rings: readonly RingType[] } | { readonly name: string; readonly ok: false; readonly failure: DeviceStepFailure };

class Mismatch extends Error {}

// #region run-device-case
export function runDeviceCase(c: DeviceVectorCase): DeviceCaseResult {
  const rings = c.rings ?? ['split', 'packed'];
  const entry = deviceModel(c.device.model);
  if (!entry) return fail(c, rings[0], -1, 'device', `unknown device model "${c.device.model}"`);
  for (const ring of rings) {
    let lb: Loopback;
    try {
      const declined = (c.decline ?? []).reduce<Features>((set, n) => set | bit(n), 0n);
      lb = new Loopback(entry.create(c.device.options ?? {}), { ring, features: ~declined & ((1n << 128n) - 1n) });
    } catch (e) {
      return fail(c, ring, -1, 'device', `cannot set up the device: ${(e as Error).message}`);
    }
    for (let i = 0; i < c.steps.length; i++) {
      try {
        runStep(lb, c.steps[i]);
      } catch (e) {
        if (!(e instanceof Mismatch)) throw e;
        return fail(c, ring, i, c.steps[i].op, e.message);
      }
    }
  }
  return { name: c.name, ok: true, rings };
}
// #endregion run-device-case

function fail(c: DeviceVectorCase, ring: RingType, step: number, op: string, message: string): DeviceCaseResult {
  return { name: c.name, ok: false, failure: { ring, step, op, message } };
}

function runStep(lb: Loopback, s: DeviceVectorStep): void {
  switch (s.op) {
    case 'request': {
      if (s.queue >= lb.queues.length) throw new Mismatch(`queue ${s.queue}: the device has ${lb.queues.length} queues`);
      const out = s.out.map((p) => (typeof p === 'string' ? hexBytes(p) : new Uint8Array(p.times).fill(hexBytes(p.repeat)[0] ?? 0)));
      let id: number;
      try {
        id = lb.submit(s.queue, out, s.in, { indirect: s.indirect });
      } catch (e) {
        throw new Mismatch(`the driver could not offer the request: ${(e as Error).message}`);
      }
      const done = lb.poll(s.queue);
      const mine = done.find((d) => d.id === id);
      if (lb.status & DEVICE_NEEDS_RESET) throw new Mismatch(`the device needs a reset: ${lb.error?.code}: ${lb.error?.message}`);
      if ('pending' in s.expect) {
        if (mine) throw new Mismatch(`expected the request to stay pending; it completed with ${mine.len} bytes`);
        return;
      }
      if (!mine) throw new Mismatch('expected a completion; the request is still pending');
      return check(mine, s.expect, '');
    }
    case 'poll': {
      const done = lb.poll(s.queue);
      if (done.length !== s.expect.length) throw new Mismatch(`expected ${s.expect.length} completions, got ${done.length}`);
      done.forEach((d, i) => check(d, s.expect[i], `completion ${i}: `));
      return;
    }
    case 'config': {
      const want = hexBytes(s.expect);
      const got = lb.device.config.read(s.offset, want.length);
      if (toHex(got) !== toHex(want)) throw new Mismatch(`config at ${s.offset}: expected ${toHex(want)}, got ${toHex(got)}`);
    }
  }
}

// #region check-written
function check(c: Completion, want: WrittenExpectation, at: string): void {
  if (c.len !== want.len) throw new Mismatch(`${at}expected ${want.len} bytes written, got ${c.len} (${short(c.data)})`);
  const got = toHex(c.data);
  if (want.data !== undefined && got !== toHex(hexBytes(want.data))) throw new Mismatch(`${at}expected data ${want.data}, got ${short(c.data)}`);
  if (want.prefix !== undefined && !got.startsWith(toHex(hexBytes(want.prefix)))) throw new Mismatch(`${at}expected data starting ${want.prefix}, got ${short(c.data)}`);
  if (want.suffix !== undefined && !got.endsWith(toHex(hexBytes(want.suffix)))) throw new Mismatch(`${at}expected data ending ${want.suffix}, got …${toHex(c.data.subarray(-16))}`);
}
// #endregion check-written

function short(b: Uint8Array): string {
  return b.length <= 32 ? toHex(b) : `${toHex(b.subarray(0, 32))}… (${b.length} bytes)`;
}
