// Property: whatever a guest does to an MMIO window (any offset, width and value, in any order,
// with queue addresses anywhere), the transport never throws, InterruptStatus never shows an
// undefined bit, the status byte never holds a bit the driver may not set, the device model
// never fails on its own (every DEVICE_ERROR is a ring error it detected), and writing 0 to
// Status followed by a correct initialization always brings the device back.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlockDevice } from '../../src/lib/devices/block/device.ts';
import { MemoryBlockBackend } from '../../src/lib/devices/block/backend.ts';
import { EntropyDevice } from '../../src/lib/devices/entropy/device.ts';
import { DeterministicEntropySource } from '../../src/lib/devices/entropy/source.ts';
import { isVirtqError } from '../../src/lib/virtio/errors.ts';
import { INT_DEFINED } from '../../src/lib/virtio/lifecycle/device-lifecycle.ts';
import { SUSPEND } from '../../src/lib/virtio/lifecycle/status-rules.ts';
import { GuestMemory } from '../../src/lib/virtio/memory.ts';
import { MmioDriver } from '../../src/lib/virtio/mmio/driver.ts';
import * as R from '../../src/lib/virtio/mmio/registers.ts';
import { MmioTransport } from '../../src/lib/virtio/mmio/transport.ts';
import { ACKNOWLEDGE, DEVICE_NEEDS_RESET, DRIVER, DRIVER_OK, FAILED, FEATURES_OK } from '../../src/lib/virtio/status.ts';
import { RING_TYPES } from '../support/rings.ts';

const MEM = 1 << 16;
// SUSPEND (§3.4) once VIRTIO_F_SUSPEND is negotiated, which the reference drivers accept.
const STATUS_BITS = ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK | FAILED | DEVICE_NEEDS_RESET | SUSPEND;

type Access = { kind: 'read' | 'write' | 'mem'; offset: number; width: 1 | 2 | 4; value: number };

const offsetArb = fc.oneof(
  fc.constantFrom(...R.MMIO_REGISTERS.map((r) => r.offset)),
  fc.constantFrom(R.MMIO_STATUS, R.MMIO_QUEUE_READY, R.MMIO_QUEUE_NOTIFY, R.MMIO_QUEUE_SEL, R.MMIO_INTERRUPT_ACK),
  fc.integer({ min: 0, max: 0x13f }),
);
// Values that matter to the registers turn up often: small numbers, status steps, addresses in memory.
const valueArb = fc.oneof(
  fc.nat(4),
  fc.constantFrom(1, 3, 0xb, 0xf, 0x8f, 0x40, 256, 0x1000, 0x8000, MEM - 8),
  fc.integer({ min: 0, max: 0xffff_ffff }),
);
const accessArb: fc.Arbitrary<Access> = fc.record({
  kind: fc.constantFrom<'read' | 'write' | 'mem'>('read', 'write', 'write', 'mem'),
  offset: offsetArb,
  width: fc.constantFrom<1 | 2 | 4>(4, 4, 4, 1, 2),
  value: valueArb,
});

const devices = {
  entropy: () => new EntropyDevice({ source: new DeterministicEntropySource(5) }),
  block: () => new BlockDevice(new MemoryBlockBackend({ sectors: 8 })),
};

describe.each(RING_TYPES)('random MMIO accesses (%s ring after recovery)', (ring) => {
  let lived = 0;
  it.each(Object.keys(devices) as (keyof typeof devices)[])('[AVP-LIFE-13] [AVP-TRANS-3] never break a %s device beyond a reset', (name) => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(accessArb, { maxLength: 120 }), (startLive, accesses) => {
        const mem = GuestMemory.create(MEM);
        const t = new MmioTransport(devices[name](), mem, { logLimit: 1000 });
        // Half the runs start from a live device, so the accesses also hit rings in use.
        if (startLive) {
          const first = new MmioDriver(t, mem, { addr: 0x100, size: MEM - 0x100 });
          expect(first.init({ ring, queueSize: 8 }).ok).toBe(true);
          first.submit(0, [], [4]);
          lived++;
        }
        for (const a of accesses) {
          // 'mem': the guest scribbles on its own memory, rings included (byte at offset*191).
          if (a.kind === 'mem') mem.write((a.offset * 191) % MEM, new Uint8Array([a.value & 0xff]));
          else if (a.kind === 'read') {
            const v = t.read(a.offset, a.width);
            expect(Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff).toBe(true);
          } else t.write(a.offset, a.value, a.width);
          expect(t.lifecycle.interruptStatus & ~INT_DEFINED).toBe(0);
          expect(t.lifecycle.status & ~STATUS_BITS).toBe(0);
        }
        for (const e of t.lifecycle.log) {
          if (e.code === 'DEVICE_ERROR') expect(isVirtqError(e.cause)).toBe(true);
        }
        // Recovery: a reset and a correct bring-up always work, whatever came before.
        const d = new MmioDriver(t, mem, { addr: 0x100, size: MEM - 0x100 });
        const r = d.init({ ring, queueSize: 8 });
        expect(r.ok).toBe(true);
        if (name === 'entropy') {
          d.submit(0, [], [8]);
          expect(d.handleInterrupt().completions.get(0)?.[0].len).toBe(8);
        }
      }),
      { numRuns: 150 },
    );
    expect(lived).toBeGreaterThan(0);
  });
});
