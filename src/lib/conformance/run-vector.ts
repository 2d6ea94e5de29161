// Replaying one vector case against the reference implementation. The runner drives only the
// public queue interfaces (DeviceQueue, DriverQueue) through the queue factory, so the same
// vectors check any implementation wrapped behind those interfaces.
import type { DescriptorChain } from '../virtio/chain.ts';
import { isVirtqError, VirtqError } from '../virtio/errors.ts';
import { bit, type Features, VIRTIO_F_EVENT_IDX, VIRTIO_F_IN_ORDER, VIRTIO_F_INDIRECT_DESC, VIRTIO_F_RING_PACKED } from '../virtio/feature-bits.ts';
import { GuestMemory } from '../virtio/memory.ts';
import { createDeviceQueue, createDriverQueue } from '../virtio/queue-factory.ts';
import type { DeviceQueue, DriverQueue, QueueConfig } from '../virtio/queue.ts';
import { hexBytes, numOf, toHex } from './parse-vector.ts';
import type { VectorCase, VectorStep } from './vector-schema.ts';

export interface CaseResult {
  readonly name: string;
  readonly ok: boolean;
  /** Why it failed: the step (0-based), its op and what differed. */
  readonly failure?: { readonly step: number; readonly op: string; readonly message: string };
}

const FEATURE_BITS: Record<VectorCase['features'][number], number> = {
  VIRTIO_F_INDIRECT_DESC,
  VIRTIO_F_EVENT_IDX,
  VIRTIO_F_IN_ORDER,
};

export function caseFeatures(c: VectorCase): Features {
  let f = c.features.reduce((acc, name) => acc | bit(FEATURE_BITS[name]), 0n);
  if (c.ring === 'packed') f |= bit(VIRTIO_F_RING_PACKED);
  return f;
}

export class StepFailure extends Error {}

const fmtBuf = (b: { addr: number; len: number; writable: boolean }) => `${b.writable ? 'w' : 'r'} 0x${b.addr.toString(16)}+${b.len}`;

/** A vector that cannot even be set up: bytes outside its memory, a device queue that threw. */
export class VectorSetupError extends Error {}

// #region vector-session
/**
 * One case, replayed a step at a time. runCase() runs it to the end; the virtqueue visualizer
 * steps it and draws guest memory between steps.
 */
export class VectorSession {
  readonly case: VectorCase;
  readonly mem: GuestMemory;
  readonly config: QueueConfig;
  readonly driver: DriverQueue | null = null;
  readonly device: DeviceQueue;
  /** Index of the next step to run. */
  next = 0;
  private readonly driverError: string | null = null;
  private readonly popped = new Map<number, DescriptorChain>();

  constructor(c: VectorCase) {
    this.case = c;
    try {
      this.mem = GuestMemory.create(numOf(c.memory.size), numOf(c.memory.base ?? 0));
      for (const w of c.writes ?? []) this.mem.write(numOf(w.addr), hexBytes(w.hex));
    } catch (e) {
      throw new VectorSetupError(`initial memory: ${(e as Error).message}`);
    }
    this.config = { size: c.queueSize, descAddr: numOf(c.queue.desc), driverAddr: numOf(c.queue.driver), deviceAddr: numOf(c.queue.device) };
    const features = caseFeatures(c);
    // Set-up order as on a real system: the driver lays out and initializes its rings, then the
    // device starts. A case without driver steps describes rings written by hand: no driver.
    if (c.steps.some((s) => s.op.startsWith('driver.'))) {
      const area = c.driverIndirectArea;
      const r = driverCall(() => createDriverQueue(this.mem, this.config, features, area ? { indirectArea: { addr: numOf(area.addr), size: numOf(area.size) } } : {}));
      if ('error' in r) this.driverError = r.error;
      else this.driver = r.value;
    }
    try {
      this.device = createDeviceQueue(this.mem, this.config, features, { maxChainLength: c.deviceMaxChainLength });
    } catch (e) {
      // The device side must record a bad layout, not throw it (§2.1.2: it needs reset instead).
      throw new VectorSetupError(`device queue threw ${(e as Error).message}`);
    }
  }

  get done(): boolean {
    return this.next >= this.case.steps.length;
  }

  /** Runs the next step; returns what happened, or throws StepFailure when it differs from the vector. */
  step(): string {
    const s = this.case.steps[this.next++];
    const drv = (): DriverQueue => {
      if (!this.driver) throw new VirtqError(String(this.driverError), 'the driver could not set up this queue');
      return this.driver;
    };
    return runStep(s, this.mem, () => this.device, drv, this.popped);
  }
}
// #endregion vector-session

// #region run-case
export function runCase(c: VectorCase): CaseResult {
  let session: VectorSession;
  try {
    session = new VectorSession(c);
  } catch (e) {
    if (!(e instanceof VectorSetupError)) throw e;
    return { name: c.name, ok: false, failure: { step: -1, op: 'setup', message: e.message } };
  }
  while (!session.done) {
    const i = session.next;
    try {
      session.step();
    } catch (e) {
      const message = e instanceof StepFailure ? e.message : `threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
      return { name: c.name, ok: false, failure: { step: i, op: c.steps[i].op, message } };
    }
  }
  return { name: c.name, ok: true };
}
// #endregion run-case

function expectEq(what: string, got: unknown, want: unknown): void {
  if (JSON.stringify(got) !== JSON.stringify(want)) throw new StepFailure(`${what}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
}

/** Runs a driver call that may fail with a VirtqError; returns the code it failed with, if any. */
function driverCall<T>(fn: () => T): { value: T } | { error: string } {
  try {
    return { value: fn() };
  } catch (e) {
    if (isVirtqError(e)) return { error: String(e.code) };
    throw e;
  }
}

// #region run-step
const outcome = (v: unknown): string => (v === null ? 'nothing' : JSON.stringify(v));

/** Runs one step, checks it against the vector, and says what happened in a short phrase. */
function runStep(s: VectorStep, mem: GuestMemory, dev: () => DeviceQueue, drv: () => DriverQueue, popped: Map<number, DescriptorChain>): string {
  switch (s.op) {
    case 'driver.add': {
      const bufs = s.buffers.map((b) => ({ addr: numOf(b.addr), len: numOf(b.len), writable: b.writable }));
      const r = driverCall(() => drv().add(bufs, { indirect: s.indirect ?? false }));
      const got = 'error' in r ? { error: r.error } : { id: r.value };
      if (s.expect) expectEq('driver.add', got, 'error' in s.expect ? s.expect : { id: numOf(s.expect.id) });
      else if ('error' in got) throw new StepFailure(`driver.add failed with ${got.error}`);
      const what = `${bufs.length} buffer${bufs.length > 1 ? 's' : ''}${s.indirect ? ' in an indirect table' : ''} (${bufs.map(fmtBuf).join(', ')})`;
      return 'error' in got ? `the driver cannot add ${what}: ${got.error}` : `the driver makes ${what} available as id ${got.id}`;
    }
    case 'driver.kick': {
      const kick = drv().kickNeeded();
      expectEq('kick needed', kick, s.expect);
      return kick ? 'the driver notifies the device' : 'the device asked not to be notified: no kick';
    }
    case 'driver.poll': {
      const r = driverCall(() => drv().pollUsed());
      const got = 'error' in r ? { error: r.error } : r.value && { id: r.value.id, len: r.value.len };
      const want = s.expect === null || 'error' in s.expect ? s.expect : { id: numOf(s.expect.id), len: numOf(s.expect.len) };
      expectEq('used buffer', got, want);
      return `the driver polls the used buffers: ${outcome(got)}`;
    }
    case 'driver.interrupts':
      drv().setInterruptsEnabled(s.enabled);
      return `the driver ${s.enabled ? 'asks for' : 'suppresses'} used buffer notifications`;
    case 'device.pop': {
      const r = dev().pop();
      if (r.kind === 'chain') popped.set(r.chain.id, r.chain);
      const got =
        r.kind === 'error' ? { error: String(r.error.code) } : r.kind === 'empty' ? { empty: true } : { chain: { id: r.chain.id, buffers: r.chain.buffers.map(fmtBuf) } };
      const e = s.expect;
      const want = 'chain' in e ? { chain: { id: numOf(e.chain.id), buffers: e.chain.buffers.map((b) => fmtBuf({ addr: numOf(b.addr), len: numOf(b.len), writable: b.writable })) } } : e;
      expectEq('pop', got, want);
      if ('chain' in e && e.chain.descCount !== undefined && r.kind === 'chain') expectEq('descCount', r.chain.descCount, numOf(e.chain.descCount));
      if (r.kind === 'error') return `the device rejects the ring: ${r.error.message}`;
      if (r.kind === 'empty') return 'the device finds nothing available';
      return `the device takes chain ${r.chain.id}: ${r.chain.buffers.map(fmtBuf).join(', ')}`;
    }
    case 'device.push': {
      const chain = popped.get(numOf(s.id));
      if (!chain) throw new StepFailure(`no popped chain with id ${numOf(s.id)} is waiting to be pushed`);
      popped.delete(numOf(s.id));
      dev().push(chain, numOf(s.len));
      return `the device returns chain ${chain.id} with ${numOf(s.len)} bytes written`;
    }
    case 'device.notify': {
      const n = dev().needsNotification();
      expectEq('notification needed', n, s.expect);
      return n ? 'the device sends a used buffer notification' : 'the driver asked not to be notified: no interrupt';
    }
    case 'device.notifications':
      dev().setNotificationsEnabled(s.enabled);
      return `the device ${s.enabled ? 'asks for' : 'suppresses'} available buffer notifications`;
    case 'memory.write':
      mem.write(numOf(s.addr), hexBytes(s.hex));
      return `guest memory at 0x${numOf(s.addr).toString(16)} is overwritten`;
    case 'memory.expect': {
      const want = hexBytes(s.hex);
      expectEq(`memory at 0x${numOf(s.addr).toString(16)}`, toHex(mem.read(numOf(s.addr), want.length)), toHex(want));
      return `guest memory at 0x${numOf(s.addr).toString(16)} holds ${toHex(want)}`;
    }
  }
}
// #endregion run-step
