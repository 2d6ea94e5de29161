// Replaying one vector case against the reference implementation. The runner drives only the
// public queue interfaces (DeviceQueue, DriverQueue) through the queue factory, so the same
// vectors check any implementation wrapped behind those interfaces.
import type { DescriptorChain } from '../virtio/chain.ts';
import { isVirtqError, VirtqError } from '../virtio/errors.ts';
import { bit, type Features, VIRTIO_F_EVENT_IDX, VIRTIO_F_IN_ORDER, VIRTIO_F_INDIRECT_DESC, VIRTIO_F_RING_PACKED } from '../virtio/feature-bits.ts';
import { GuestMemory } from '../virtio/memory.ts';
import { createDeviceQueue, createDriverQueue } from '../virtio/queue-factory.ts';
import type { DeviceQueue, DriverQueue, QueueConfig } from '../virtio/queue.ts';
import { bigOf, hexBytes, numOf, toHex } from './parse-vector.ts';
import type { ErrorExpectation, VectorCase, VectorStep } from './vector-schema.ts';

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

const fmtBuf = (b: { addr: number | bigint; len: number; writable: boolean }) => `${b.writable ? 'w' : 'r'} 0x${b.addr.toString(16)}+${b.len}`;

/** Does an actual error code meet an expectation: one code, any of a list, or "*"? */
export function errorMatches(want: ErrorExpectation, got: string): boolean {
  return want === '*' || (Array.isArray(want) ? want.includes(got as never) : want === got);
}

const fmtWant = (want: ErrorExpectation) => (want === '*' ? 'any error' : Array.isArray(want) ? `one of ${want.join(', ')}` : want);

/**
 * A guest address of a vector as the number the reference queues use. An address above 2^53
 * can name no byte of this implementation's memory, so any such address stands for "outside
 * guest memory" and keeps that meaning as a number; only the driver, which writes addresses
 * into descriptors, needs them exact.
 */
const addrOf = (v: string | number): number => Number(bigOf(v));

function exactAddr(v: string | number, what: string): number {
  const a = bigOf(v);
  if (a > BigInt(Number.MAX_SAFE_INTEGER)) throw new StepFailure(`${what} 0x${a.toString(16)} is above 2^53, which the reference driver cannot place in a descriptor`);
  return Number(a);
}

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
      this.mem = new GuestMemory(
        c.memory.regions.map((r) => {
          const base = bigOf(r.base);
          if (base > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`region at 0x${base.toString(16)}: this implementation keeps memory below 2^53`);
          return { base: Number(base), bytes: new Uint8Array(numOf(r.size)) };
        }),
      );
      for (const w of c.writes ?? []) {
        const bytes = hexBytes(w.hex);
        const stride = BigInt(w.stride === undefined ? bytes.length : numOf(w.stride));
        for (let i = 0n; i < BigInt(w.repeat ?? 1); i++) this.mem.write(bigOf(w.addr) + i * stride, bytes);
      }
    } catch (e) {
      throw new VectorSetupError(`initial memory: ${(e as Error).message}`);
    }
    this.config = { size: c.queueSize, descAddr: addrOf(c.queue.desc), driverAddr: addrOf(c.queue.driver), deviceAddr: addrOf(c.queue.device) };
    const features = caseFeatures(c);
    // Set-up order as on a real system: the driver lays out and initializes its rings, then the
    // device starts. A case without driver steps describes rings written by hand: no driver.
    if (c.steps.some((s) => s.op.startsWith('driver.'))) {
      const area = c.driverIndirectArea;
      const start = !c.start ? undefined : 'lastAvail' in c.start ? { index: c.start.lastAvail } : { slot: c.start.nextAvail, wrap: c.start.availWrap };
      const r = driverCall(() =>
        createDriverQueue(this.mem, this.config, features, { ...(area ? { indirectArea: { addr: addrOf(area.addr), size: numOf(area.size) } } : {}), start }),
      );
      if ('error' in r) this.driverError = r.error;
      else this.driver = r.value;
    }
    try {
      this.device = createDeviceQueue(this.mem, this.config, features, { maxChainLength: c.deviceMaxChainLength, start: c.start });
    } catch (e) {
      // The device side must record a bad layout, not throw it (§2.1.2: it needs reset instead).
      throw new VectorSetupError(`device queue threw ${(e as Error).message}`);
    }
    const want = c.setup?.expect;
    if (want) {
      const got = this.device.error;
      if ('ok' in want && got) throw new VectorSetupError(`setup: expected the device to accept the queue, got ${got.code}`);
      if ('error' in want && !(got && errorMatches(want.error, String(got.code)))) {
        throw new VectorSetupError(`setup: expected ${fmtWant(want.error)}, got ${got ? got.code : 'no error'}`);
      }
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

/** The outcome must be an error meeting the expectation. */
function expectError(what: string, want: ErrorExpectation, got: unknown): void {
  const code = got && typeof got === 'object' && 'error' in got ? String((got as { error: unknown }).error) : null;
  if (code === null || !errorMatches(want, code)) throw new StepFailure(`${what}: expected ${fmtWant(want)}, got ${JSON.stringify(got)}`);
}

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
      const bufs = s.buffers.map((b) => ({ addr: exactAddr(b.addr, 'driver.add buffer address'), len: numOf(b.len), writable: b.writable }));
      const r = driverCall(() => drv().add(bufs, { indirect: s.indirect ?? false }));
      const got = 'error' in r ? { error: r.error } : { id: r.value };
      if (s.expect && 'error' in s.expect) expectError('driver.add', s.expect.error, got);
      else if (s.expect) expectEq('driver.add', got, { id: numOf(s.expect.id) });
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
      if (s.expect !== null && 'error' in s.expect) expectError('used buffer', s.expect.error, got);
      else expectEq('used buffer', got, s.expect && { id: numOf(s.expect.id), len: numOf(s.expect.len) });
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
      if ('error' in e) expectError('pop', e.error, got);
      else expectEq('pop', got, 'chain' in e ? { chain: { id: numOf(e.chain.id), buffers: e.chain.buffers.map((b) => fmtBuf({ addr: bigOf(b.addr), len: numOf(b.len), writable: b.writable })) } } : e);
      if ('chain' in e && e.chain.descCount !== undefined && r.kind === 'chain') expectEq('descCount', r.chain.descCount, numOf(e.chain.descCount));
      if (r.kind === 'error') return `the device rejects the ring: ${r.error.message}`;
      if (r.kind === 'empty') return 'the device finds nothing available';
      return `the device takes chain ${r.chain.id}: ${r.chain.buffers.map(fmtBuf).join(', ')}`;
    }
    case 'device.push': {
      const chain = popped.get(numOf(s.id));
      if (!chain) throw new StepFailure(`no popped chain with id ${numOf(s.id)} is waiting to be pushed`);
      const len = bigOf(s.len);
      // A length beyond what a number holds exactly is certainly beyond 32 bits: refused either way.
      const asNumber = len > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(len);
      let refusal: Error | null = null;
      try {
        dev().push(chain, asNumber);
      } catch (e) {
        if (!(e instanceof RangeError)) throw e;
        refusal = e;
      }
      if (s.expect?.refused && !refusal) throw new StepFailure(`push of chain ${chain.id} with ${len} bytes: expected a refusal, the device took it`);
      if (refusal && !s.expect?.refused) throw new StepFailure(`push of chain ${chain.id} with ${len} bytes was refused: ${refusal.message}`);
      // A refused chain is still the device's to return.
      if (refusal) return `the device may not return chain ${chain.id} with ${len} bytes: ${refusal.message}`;
      popped.delete(numOf(s.id));
      return `the device returns chain ${chain.id} with ${len} bytes written`;
    }
    case 'device.status': {
      const err = dev().error;
      const got = err ? { needsReset: true, error: String(err.code) } : { needsReset: false };
      if (s.expect.needsReset && err) expectError('device status', s.expect.error, { error: String(err.code) });
      else expectEq('device status', got.needsReset, s.expect.needsReset);
      return err ? `the queue has stopped: ${err.code}; the device needs a reset` : 'the queue is running';
    }
    case 'device.state': {
      const st = dev().ringState();
      expectEq('ring state', st, s.expect);
      return `the device stands at ${JSON.stringify(st)}`;
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
      mem.write(bigOf(s.addr), hexBytes(s.hex));
      return `guest memory at ${s.addr} is overwritten`;
    case 'memory.expect': {
      const want = hexBytes(s.hex);
      expectEq(`memory at ${s.addr}`, toHex(mem.read(bigOf(s.addr), want.length)), toHex(want));
      return `guest memory at ${s.addr} holds ${toHex(want)}`;
    }
  }
}
// #endregion run-step
