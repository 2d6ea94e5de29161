// Replays a transport vector case against the reference MMIO or PCI transport and a device
// model of the registry: register reads and writes as a driver would make them, and checks of
// what they return and of the error conditions the lifecycle records.
import { GuestMemory } from '../virtio/memory.ts';
import { MmioTransport } from '../virtio/mmio/transport.ts';
import { MMIO_CONFIG, MMIO_QUEUE_NOTIFY, MMIO_REGISTERS } from '../virtio/mmio/registers.ts';
import { BAR0_COMMON, BAR0_DEVICE, BAR0_ISR, BAR0_NOTIFY, NOTIFY_OFF_MULTIPLIER, PciTransport } from '../virtio/pci/transport.ts';
import { COMMON_CFG_FIELDS } from '../virtio/pci/layout.ts';
import type { AccessWidth } from '../virtio/mmio/transport.ts';
import type { DeviceLifecycle } from '../virtio/lifecycle/device-lifecycle.ts';
import { deviceModel } from './device-registry.ts';
import { bigOf, hexBytes, numOf, toHex } from './parse-vector.ts';
import type { TransportVectorCase, TransportVectorStep } from './transport-vector-schema.ts';

export type TransportCaseResult =
  | { readonly name: string; readonly ok: true }
  | { readonly name: string; readonly ok: false; readonly failure: { readonly step: number; readonly op: string; readonly message: string } };

class Mismatch extends Error {}

/** One register access, whichever transport the case names. */
interface Bus {
  readonly lifecycle: DeviceLifecycle;
  read(register: string, width: AccessWidth | undefined): number;
  write(register: string, value: number, width: AccessWidth | undefined): void;
  notify(queue: number): void;
  readonly interruptAsserted: boolean;
}

const CONFIG = /^config\+(\d+)$/;
const RAW = /^0x[0-9a-fA-F]+$/;

function unknownRegister(transport: string, register: string): never {
  throw new Mismatch(`no ${transport} register "${register}" (a register name, config+N or a 0x… offset)`);
}

// #region mmio-bus
function mmioBus(t: MmioTransport): Bus {
  const offsetOf = (register: string): number => {
    const cfg = CONFIG.exec(register);
    if (cfg) return MMIO_CONFIG + Number(cfg[1]);
    if (RAW.test(register)) return parseInt(register, 16);
    return MMIO_REGISTERS.find((r) => r.name === register)?.offset ?? unknownRegister('MMIO', register);
  };
  return {
    lifecycle: t.lifecycle,
    read: (register, width) => t.read(offsetOf(register), width ?? 4),
    write: (register, value, width) => t.write(offsetOf(register), value, width ?? 4),
    notify: (queue) => t.write(MMIO_QUEUE_NOTIFY, queue, 4),
    get interruptAsserted() {
      return t.interruptAsserted;
    },
  };
}
// #endregion mmio-bus

// #region pci-bus
function pciBus(t: PciTransport): Bus {
  /** BAR 0 offset and natural width of a register name. */
  const locate = (register: string): { offset: number; width: AccessWidth } => {
    const cfg = CONFIG.exec(register);
    if (cfg) return { offset: BAR0_DEVICE + Number(cfg[1]), width: 4 };
    if (RAW.test(register)) return { offset: parseInt(register, 16), width: 4 };
    if (register === 'isr') return { offset: BAR0_ISR, width: 1 };
    const [name, half] = register.split('.');
    const field = COMMON_CFG_FIELDS.find((f) => f.name === name);
    if (!field || (half !== undefined && (half !== 'hi' || field.width !== 8))) unknownRegister('PCI', register);
    // A 64-bit field is reached as two 32-bit halves (§4.1.3.1).
    return { offset: BAR0_COMMON + field.offset + (half === 'hi' ? 4 : 0), width: field.width === 8 ? 4 : field.width };
  };
  return {
    lifecycle: t.lifecycle,
    read: (register, width) => {
      const at = locate(register);
      return t.barRead(0, at.offset, width ?? at.width);
    },
    write: (register, value, width) => {
      const at = locate(register);
      t.barWrite(0, at.offset, value, width ?? at.width);
    },
    // The model gives queue n the notify offset n (§4.1.4.4); the driver writes the queue index there.
    notify: (queue) => t.barWrite(0, BAR0_NOTIFY + queue * NOTIFY_OFF_MULTIPLIER, queue, 2),
    get interruptAsserted() {
      return t.interruptAsserted;
    },
  };
}
// #endregion pci-bus

/** The error conditions recorded since the last check, as the lifecycle counts them. */
function totalRecorded(lc: DeviceLifecycle): number {
  return Object.values(lc.counts).reduce((n, c) => n + (c ?? 0), 0);
}

// #region run-transport-case
export function runTransportCase(c: TransportVectorCase): TransportCaseResult {
  const fail = (step: number, op: string, message: string): TransportCaseResult => ({ name: c.name, ok: false, failure: { step, op, message } });
  const entry = deviceModel(c.device.model);
  if (!entry) return fail(-1, 'device', `unknown device model "${c.device.model}"`);
  let bus: Bus;
  let mem: GuestMemory;
  try {
    const regions = c.memory?.regions ?? [{ base: '0x0', size: 0x10000 }];
    mem = new GuestMemory(regions.map((r) => ({ base: Number(bigOf(r.base)), bytes: new Uint8Array(numOf(r.size)) })));
    const device = entry.create(c.device.options ?? {});
    bus = c.transport === 'mmio' ? mmioBus(new MmioTransport(device, mem)) : pciBus(new PciTransport(device, mem));
  } catch (e) {
    return fail(-1, 'setup', (e as Error).message);
  }
  let seen = 0;
  for (let i = 0; i < c.steps.length; i++) {
    const s = c.steps[i];
    try {
      seen = runStep(s, bus, mem, seen);
    } catch (e) {
      return fail(i, s.op, e instanceof Mismatch ? e.message : `threw ${(e as Error).name}: ${(e as Error).message}`);
    }
  }
  return { name: c.name, ok: true };
}
// #endregion run-transport-case

const hex32 = (v: number) => `0x${(v >>> 0).toString(16)}`;

/** Runs one step; returns how many recorded conditions have been checked so far. */
function runStep(s: TransportVectorStep, bus: Bus, mem: GuestMemory, seen: number): number {
  switch (s.op) {
    case 'read': {
      const got = bus.read(s.register, s.width);
      if (got >>> 0 !== numOf(s.expect) >>> 0) throw new Mismatch(`read of ${s.register}: expected ${hex32(numOf(s.expect))}, got ${hex32(got)}`);
      return seen;
    }
    case 'write':
      bus.write(s.register, numOf(s.value), s.width);
      return seen;
    case 'notify':
      bus.notify(s.queue);
      return seen;
    case 'device.config':
      bus.lifecycle.device.config.update((cfg) => cfg.setBytes(numOf(s.offset), hexBytes(s.hex)));
      return seen;
    case 'memory.write':
      mem.write(bigOf(s.addr), hexBytes(s.hex));
      return seen;
    case 'memory.expect': {
      const want = hexBytes(s.hex);
      const got = toHex(mem.read(bigOf(s.addr), want.length));
      if (got !== toHex(want)) throw new Mismatch(`memory at ${s.addr}: expected ${toHex(want)}, got ${got}`);
      return seen;
    }
    case 'recorded': {
      const lc = bus.lifecycle;
      const total = totalRecorded(lc);
      const fresh = total - seen;
      if (fresh > lc.log.length) throw new Mismatch(`${fresh} conditions were recorded since the last check, more than the log keeps`);
      const got = lc.log.slice(lc.log.length - fresh).map((e) => e.code);
      if (JSON.stringify(got) !== JSON.stringify(s.codes)) {
        const detail = lc.log.slice(lc.log.length - fresh).map((e) => e.message).join('; ');
        throw new Mismatch(`recorded: expected [${s.codes.join(', ')}], got [${got.join(', ')}]${detail ? ` (${detail})` : ''}`);
      }
      return total;
    }
    case 'interrupt':
      if (bus.interruptAsserted !== s.asserted) throw new Mismatch(`interrupt: expected ${s.asserted ? 'asserted' : 'clear'}, got ${bus.interruptAsserted ? 'asserted' : 'clear'}`);
      return seen;
  }
}
