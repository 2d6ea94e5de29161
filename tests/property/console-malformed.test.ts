// Properties of the console device. Whatever a driver puts on the control transmitq (random
// ids, events, values, lengths, framings, stray writable parts), on the port queues and in the
// configuration space, mixed with host hot-plug, attach, resize and input: the device never
// throws and never needs a reset; every transmit buffer comes straight back with used length 0;
// the stateless checks reject exactly what an independent statement of the rules rejects; every
// message the device sends is well formed and never names a port out of range, and DEVICE_ADD
// and DEVICE_REMOVE alternate per port; host input reaches the guest in order, each byte once.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../support/rings.ts';
import { Loopback } from '../../src/lib/virtio/loopback.ts';
import { DEVICE_NEEDS_RESET } from '../../src/lib/virtio/status.ts';
import { ConsoleDevice } from '../../src/lib/devices/console/device.ts';
import { QueuedInput } from '../../src/lib/devices/console/queued-input.ts';
import { ConsoleLog } from '../../src/lib/devices/console/console-log.ts';
import type { ConsolePortHost } from '../../src/lib/devices/console/host.ts';
import { decodeControl, encodeControl } from '../../src/lib/devices/console/control.ts';
import { CONTROL_ERRORS } from '../../src/lib/devices/console/control-check.ts';
import { VIRTIO_CONSOLE_F_MULTIPORT } from '../../src/lib/devices/console/features.ts';
import { CONTROL_RECEIVEQ, CONTROL_TRANSMITQ, portReceiveQueue, portTransmitQueue } from '../../src/lib/devices/console/queues.ts';

const MAX_PORTS = 4;
const ALL = (1n << 64n) - 1n;
const STATELESS = ['short', 'unknown-event', 'device-only-event', 'bad-value'] as const;

/** The stateless rules of §5.3.6.2 for a driver message, written out apart from the device's code. */
function statelessVerdict(bytes: Uint8Array): (typeof STATELESS)[number] | 'pass' {
  if (bytes.length < 8) return 'short';
  const event = bytes[4] | (bytes[5] << 8);
  const value = bytes[6] | (bytes[7] << 8);
  if (event > 7) return 'unknown-event';
  if (event !== 0 && event !== 3 && event !== 6) return 'device-only-event';
  return value > 1 ? 'bad-value' : 'pass';
}

type Op =
  | { kind: 'ctl'; id: number; event: number; value: number; len: number; cut: number; writable: boolean }
  | { kind: 'tx'; port: number; n: number; writable: boolean }
  | { kind: 'rx'; port: number; size: number; readable: boolean }
  | { kind: 'crx'; size: number }
  | { kind: 'open'; port: number }
  | { kind: 'input'; port: number; n: number }
  | { kind: 'plug'; port: number }
  | { kind: 'attach'; port: number }
  | { kind: 'resize'; port: number; cols: number; rows: number }
  | { kind: 'emerg'; offset: number; len: number; byte: number };

const port = fc.nat(MAX_PORTS + 1); // sometimes one the device cannot have
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('ctl' as const),
      id: fc.oneof(port, fc.constant(0xffffffff)),
      event: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(0, 3, 6) }, { weight: 2, arbitrary: fc.nat(9) }, { weight: 1, arbitrary: fc.nat(0xffff) }),
      value: fc.oneof({ weight: 5, arbitrary: fc.nat(1) }, { weight: 1, arbitrary: fc.constantFrom(2, 0x100, 0xffff) }),
      len: fc.oneof({ weight: 5, arbitrary: fc.constant(8) }, { weight: 2, arbitrary: fc.nat(20) }),
      cut: fc.nat(20),
      writable: fc.constantFrom(false, false, false, false, true),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('tx' as const), port, n: fc.integer({ min: 1, max: 20 }), writable: fc.constantFrom(false, false, false, true) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('rx' as const), port, size: fc.integer({ min: 1, max: 16 }), readable: fc.constantFrom(false, false, false, true) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('open' as const), port }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('crx' as const), size: fc.oneof(fc.constant(263), fc.integer({ min: 1, max: 40 })) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('input' as const), port, n: fc.integer({ min: 1, max: 30 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('plug' as const), port: fc.integer({ min: 1, max: MAX_PORTS - 1 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('attach' as const), port }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('resize' as const), port, cols: fc.nat(0xffff), rows: fc.nat(0xffff) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('emerg' as const), offset: fc.nat(11), len: fc.constantFrom(1, 2, 4), byte: fc.nat(255) }) },
);

interface Host extends ConsolePortHost {
  readonly input: QueuedInput;
  readonly output: ConsoleLog;
  pushed: number[];
  delivered: number[];
}

const newHost = (): Host => ({ input: new QueuedInput(), output: new ConsoleLog(), pushed: [], delivered: [] });

describe.each(RING_TYPES)('console device under malformed driver input (%s ring)', (ring) => {
  it('[AVP-CON-14] [AVP-CON-44] [AVP-CON-4] [AVP-CON-5] [AVP-CON-32] [AVP-CON-6] [AVP-CON-11] never throws or needs a reset; checks, answers and delivers as the rules say', () => {
    let deliveredTotal = 0;
    let acceptedTotal = 0;
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 60, size: 'medium' }), fc.boolean(), fc.boolean(), (ops, sized, multi) => {
        const hosts = new Map<number, Host>([[0, newHost()]]);
        const dev = new ConsoleDevice({
          maxPorts: MAX_PORTS,
          ports: { 0: { host: hosts.get(0)!, size: sized ? { cols: 80, rows: 24 } : undefined }, 2: { name: 'svc', console: true } },
          emergencyOutput: new ConsoleLog(),
        });
        const features = multi ? ALL : ALL & ~(1n << BigInt(VIRTIO_CONSOLE_F_MULTIPORT));
        const lb = new Loopback(dev, { ring, features, queueSize: 16, memSize: 1 << 19 });
        const oracle: Record<string, number> = {};
        let passed = 0;
        const announced = new Map<number, boolean>();
        const collect = () => {
          for (const c of multi ? lb.poll(CONTROL_RECEIVEQ) : []) {
            if (c.len === 0) continue; // a buffer returned unused
            const m = decodeControl(c.data.subarray(0, c.len))!;
            expect(m).not.toBeNull();
            expect([1, 2, 4, 5, 6, 7]).toContain(m.event);
            expect(m.id).toBeLessThan(MAX_PORTS);
            if (m.event === 1) {
              expect(announced.get(m.id) ?? false).toBe(false);
              announced.set(m.id, true);
            }
            if (m.event === 2) {
              expect(announced.get(m.id)).toBe(true);
              announced.set(m.id, false);
            }
            if (m.event === 5) expect(c.len).toBe(12);
            if (m.event === 6) expect([0, 1]).toContain(m.value);
          }
          for (let p = 0; p < (multi ? MAX_PORTS : 1); p++) {
            for (const c of lb.poll(portReceiveQueue(p))) {
              // Collected after every step: the host attached now is the one that filled it.
              const h = hosts.get(p);
              if (c.len > 0) h!.delivered.push(...c.data.subarray(0, c.len));
            }
          }
        };
        const ctl = (bytes: Uint8Array, parts: Uint8Array[], writable: boolean) => {
          if (!multi || parts.length + (writable ? 1 : 0) === 0 || lb.queues[CONTROL_TRANSMITQ].numFree() < 3) return;
          const c = lb.request(CONTROL_TRANSMITQ, parts, writable ? [4] : []);
          expect(c.len).toBe(0);
          if (writable) return;
          const v = statelessVerdict(bytes);
          if (v === 'pass') passed++;
          else oracle[v] = (oracle[v] ?? 0) + 1;
        };
        // A driver's usual start: control buffers, DEVICE_READY, two receive buffers per port.
        for (let i = 0; i < 4 && multi; i++) lb.submit(CONTROL_RECEIVEQ, [], [263]);
        const ready = encodeControl({ id: 0, event: 0, value: 1 });
        ctl(ready, [ready], false);
        for (let p = 0; p < (multi ? MAX_PORTS : 1); p++) {
          for (let i = 0; i < 2; i++) lb.submit(portReceiveQueue(p), [], [8]);
        }
        collect();
        for (const op of ops) {
          switch (op.kind) {
            case 'open': // PORT_READY 1 then PORT_OPEN 1, as a driver would; the device decides if they fit
              for (const event of [3, 6]) {
                const b = encodeControl({ id: op.port, event, value: 1 });
                ctl(b, [b], false);
              }
              break;
            case 'ctl': {
              const full = new Uint8Array(Math.max(op.len, 8));
              full.set(encodeControl({ id: op.id, event: op.event, value: op.value }));
              const bytes = full.subarray(0, op.len);
              ctl(bytes, [bytes.subarray(0, op.cut), bytes.subarray(op.cut)].filter((b) => b.length > 0), op.writable);
              break;
            }
            case 'tx': {
              if (op.port >= (multi ? MAX_PORTS : 1)) break;
              const q = portTransmitQueue(op.port);
              if (lb.queues[q].numFree() < 2) break;
              const c = lb.request(q, [new Uint8Array(op.n).fill(0x61)], op.writable ? [2] : []);
              expect(c.len).toBe(0);
              break;
            }
            case 'rx': {
              if (op.port >= (multi ? MAX_PORTS : 1)) break;
              const q = portReceiveQueue(op.port);
              if (lb.queues[q].numFree() < 2) break;
              lb.submit(q, op.readable ? [new Uint8Array(2)] : [], [op.size]);
              break;
            }
            case 'crx':
              if (multi && lb.queues[CONTROL_RECEIVEQ].numFree() >= 1) lb.submit(CONTROL_RECEIVEQ, [], [op.size]);
              break;
            case 'input': {
              const h = hosts.get(op.port);
              if (!h) break;
              const data = Array.from({ length: op.n }, (_, i) => (h.pushed.length + i) & 0xff);
              const n = h.input.push(Uint8Array.from(data));
              h.pushed.push(...data.slice(0, n));
              dev.inputReady(op.port);
              break;
            }
            case 'plug':
              if (dev.portState(op.port)) {
                dev.removePort(op.port);
                hosts.delete(op.port);
              } else {
                const h = newHost();
                hosts.set(op.port, h);
                dev.addPort(op.port, { host: h, console: op.port % 2 === 1 });
              }
              break;
            case 'attach':
              if (dev.portState(op.port) && !hosts.has(op.port)) {
                const h = newHost();
                hosts.set(op.port, h);
                dev.attach(op.port, h);
              }
              break;
            case 'resize':
              if (dev.portState(op.port)) dev.resize(op.port, { cols: op.cols, rows: op.rows });
              break;
            case 'emerg': {
              const v = new Uint8Array(op.len).fill(op.byte);
              const before = dev.stats.emergencyChars + dev.stats.emergencyIgnored;
              dev.writeConfig(op.offset, v);
              const touches = op.offset < 12 && op.offset + op.len > 8;
              expect(dev.stats.emergencyChars + dev.stats.emergencyIgnored - before).toBe(touches ? 1 : 0);
              break;
            }
          }
          collect();
          expect(lb.status & DEVICE_NEEDS_RESET).toBe(0);
        }
        expect(lb.error).toBeNull();
        const s = dev.stats;
        for (const reason of STATELESS) expect(s.controlErrors[reason]).toBe(oracle[reason] ?? 0);
        const stateful = CONTROL_ERRORS.filter((r) => !(STATELESS as readonly string[]).includes(r)).reduce((n, r) => n + s.controlErrors[r], 0);
        expect(stateful + s.controlAccepted).toBe(passed);
        // Input: each host's bytes reach the guest in order, at most once.
        for (const h of hosts.values()) expect(h.delivered).toEqual(h.pushed.slice(0, h.delivered.length));
        for (const h of hosts.values()) deliveredTotal += h.delivered.length;
        acceptedTotal += s.controlAccepted;
      }),
      { numRuns: 120 },
    );
    // The runs reached the interesting states: input delivered, control messages carried out.
    expect(deliveredTotal).toBeGreaterThan(0);
    expect(acceptedTotal).toBeGreaterThan(0);
  });
});
