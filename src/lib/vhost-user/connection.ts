// One front end's connection: the vhost-user requests that set up guest memory and rings, run
// by a device model of src/lib/devices unchanged. The model sees the same DeviceEnv a transport
// gives it (memory, negotiated features, device queues, a used-buffer notification), with the
// queues the front end keeps to itself (net's control queue, vsock's event queue) left null.
//
// vhost-user has no device status: the device is activated when its first ring starts (a kick
// descriptor set, and with protocol features an enable), and reset once every ring stopped
// (GET_VRING_BASE) or the front end resets it. Rings start from SET_VRING_BASE and report
// their state back through GET_VRING_BASE (ring-state.ts).
import type { DeviceEnv, VirtioDevice } from '../virtio/device.ts';
import type { VirtqError } from '../virtio/errors.ts';
import { type Features, hasFeature, VIRTIO_F_RING_PACKED } from '../virtio/feature-bits.ts';
import type { GuestMemory } from '../virtio/memory.ts';
import { createDeviceQueue, ringAreas, ringTypeOf } from '../virtio/queue-factory.ts';
import type { DeviceQueue } from '../virtio/queue.ts';
import type { PackedRingState, SplitRingState } from '../virtio/ring-state.ts';
import { closeFd, drainEventFd, POLLERR, POLLHUP, POLLIN, POLLNVAL, recvWithFds, sendAll, signalEventFd } from './ffi.ts';
import { MemoryTable } from './memory-table.ts';
import type { PollLoop } from './poll-loop.ts';
import {
  BACKEND_REQ_CONFIG_CHANGE_MSG,
  configPayload,
  decodePackedBase,
  encodeMessage,
  encodePackedBase,
  FLAG_NEED_REPLY,
  FLAG_REPLY,
  FLAG_VERSION,
  type Message,
  HEADER_SIZE,
  parseHeader,
  PayloadReader,
  PROTOCOL_F,
  ProtocolError,
  readConfigAccess,
  readMemTable,
  readVringAddr,
  readVringState,
  REQ,
  REQ_NAME,
  u64Payload,
  type VringAddr,
  VHOST_USER_F_PROTOCOL_FEATURES,
  VRING_IDX_MASK,
  VRING_NOFD_MASK,
  vringStatePayload,
} from './protocol.ts';

// #region served-device
/** A device model and what the front end needs to know about it beyond the model itself. */
export interface ServedDevice {
  readonly device: VirtioDevice;
  /** Queues the back end serves (GET_QUEUE_NUM); the front end may keep others (a control queue). */
  readonly queueNum: number;
  /** Protocol features beyond the base set this device needs (e.g. CONFIG for blk and vsock). */
  readonly protocolFeatures?: bigint;
}
// #endregion served-device

export type Logger = (level: 'info' | 'warn' | 'error', msg: string) => void;

/** The protocol features every device here gets. */
export const BASE_PROTOCOL_FEATURES = (1n << BigInt(PROTOCOL_F.MQ)) | (1n << BigInt(PROTOCOL_F.REPLY_ACK)) | (1n << BigInt(PROTOCOL_F.BACKEND_REQ)) | (1n << BigInt(PROTOCOL_F.RESET_DEVICE));
/** CONFIG: for devices whose configuration space the front end reads from the back end (blk, vsock). */
export const CONFIG_PROTOCOL_FEATURE = 1n << BigInt(PROTOCOL_F.CONFIG);

interface Vring {
  num: number;
  addr: VringAddr | null;
  base: number;
  kickFd: number | null;
  callFd: number | null;
  errFd: number | null;
  enabled: boolean;
  started: boolean;
  queue: DeviceQueue | null;
  /** Where the ring stood when it last stopped, for GET_VRING_BASE without a running queue. */
  lastState: SplitRingState | PackedRingState | null;
}

const PROTOCOL_FEATURES_BIT = 1n << BigInt(VHOST_USER_F_PROTOCOL_FEATURES);

export interface ConnectionStats {
  messages: number;
  kicks: number;
  calls: number;
}

export class Connection {
  readonly stats: ConnectionStats = { messages: 0, kicks: 0, calls: 0 };
  private inbuf: Uint8Array = new Uint8Array(0);
  private header: { request: number; flags: number; size: number } | null = null;
  private pendingFds: number[] = [];
  private features: Features = 0n;
  private protocolFeatures = 0n;
  private ackedProtocolBit = false;
  private table: MemoryTable | null = null;
  private readonly vrings: Vring[];
  private readonly queues: (DeviceQueue | null)[];
  private backendFd: number | null = null;
  private active = false;
  private closed = false;
  /** Bumped at each activation, so late callbacks of an earlier one are dropped. */
  private epoch = 0;

  readonly fd: number;
  private readonly served: ServedDevice;
  private readonly loop: PollLoop;
  private readonly log: Logger;
  private readonly onClose: (c: Connection) => void;

  constructor(fd: number, served: ServedDevice, loop: PollLoop, log: Logger, onClose: (c: Connection) => void) {
    this.fd = fd;
    this.served = served;
    this.loop = loop;
    this.log = log;
    this.onClose = onClose;
    const n = Math.max(served.queueNum, served.device.queueCount(served.device.offeredFeatures()));
    this.vrings = Array.from({ length: n }, () => freshVring());
    this.queues = new Array(n).fill(null);
    served.device.config.setChangeListener(() => this.configChanged());
    loop.add(fd, (ev) => this.onReadable(ev));
  }

  get device(): VirtioDevice {
    return this.served.device;
  }

  get memory(): GuestMemory | null {
    return this.table?.memory ?? null;
  }

  /** Closes the connection: the device is reset, rings and memory are dropped. */
  close(reason?: string): void {
    if (this.closed) return;
    this.closed = true;
    if (reason) this.log('info', `connection closed: ${reason}`);
    this.loop.remove(this.fd);
    this.deactivate();
    for (const v of this.vrings) this.dropFds(v);
    for (const fd of this.pendingFds) closeFd(fd);
    this.pendingFds = [];
    if (this.backendFd !== null) closeFd(this.backendFd);
    this.backendFd = null;
    this.table?.unmapAll();
    this.table = null;
    this.served.device.config.setChangeListener(null);
    closeFd(this.fd);
    this.onClose(this);
  }

  // ---- The socket ----

  // #region receive
  /**
   * Reads messages as the front end sends them: the 12-byte header first, then exactly its
   * payload. Descriptors travel with the first bytes of their message, and a Unix stream read
   * may run on into the next message and hand over its descriptors too; reading a message at a
   * time keeps each message's descriptors with it.
   */
  private onReadable(ev: number): void {
    if (this.closed) return;
    if (ev & POLLNVAL) return this.close('socket descriptor invalid');
    for (;;) {
      const want = this.header === null ? HEADER_SIZE - this.inbuf.length : this.header.size - this.inbuf.length;
      let got: { data: Uint8Array; fds: number[] } | null = { data: new Uint8Array(0), fds: [] };
      if (want > 0) {
        try {
          got = recvWithFds(this.fd, want);
        } catch (e) {
          return this.close(`receive failed: ${(e as Error).message}`);
        }
        if (got === null) break;
        if (got.data.length === 0) {
          if (this.header !== null || this.inbuf.length > 0) this.log('error', `front end closed the connection in the middle of a message (truncated ${this.header ? (REQ_NAME[this.header.request] ?? this.header.request) : 'header'})`);
          for (const f of got.fds) closeFd(f);
          return this.close('front end disconnected');
        }
        this.pendingFds.push(...got.fds);
        const merged = new Uint8Array(this.inbuf.length + got.data.length);
        merged.set(this.inbuf);
        merged.set(got.data, this.inbuf.length);
        this.inbuf = merged;
      }
      if (this.header === null) {
        if (this.inbuf.length < HEADER_SIZE) continue;
        try {
          this.header = parseHeader(this.inbuf);
        } catch (e) {
          this.log('error', `protocol error: ${(e as Error).message}`);
          return this.close('protocol error');
        }
        this.inbuf = new Uint8Array(0);
        if (this.header.size > 0) continue;
      } else if (this.inbuf.length < this.header.size) continue;
      const m: Message = { request: this.header.request, flags: this.header.flags, payload: this.inbuf, fds: this.pendingFds };
      this.header = null;
      this.inbuf = new Uint8Array(0);
      this.pendingFds = [];
      if (!this.handle(m) || this.closed) return;
    }
    if (ev & (POLLHUP | POLLERR) && !(ev & POLLIN)) this.close('front end hung up');
  }
  // #endregion receive

  /** Handles one message; false if the connection was closed because of it. */
  private handle(m: Message): boolean {
    this.stats.messages++;
    const name = REQ_NAME[m.request] ?? `request ${m.request}`;
    let reply: Uint8Array | null;
    try {
      reply = this.dispatch(m);
    } catch (e) {
      for (const fd of m.fds) closeFd(fd);
      const msg = e instanceof Error ? e.message : String(e);
      this.log('error', `${name}: ${msg}`);
      this.close(`front end broke the protocol (${name})`);
      return false;
    }
    try {
      if (reply !== null) sendAll(this.fd, encodeMessage(m.request, FLAG_VERSION | FLAG_REPLY, reply));
      else if (m.flags & FLAG_NEED_REPLY && this.hasProtocol(PROTOCOL_F.REPLY_ACK)) {
        sendAll(this.fd, encodeMessage(m.request, FLAG_VERSION | FLAG_REPLY, u64Payload(0n)));
      }
    } catch (e) {
      this.close(`reply to ${name} failed: ${(e as Error).message}`);
      return false;
    }
    return true;
  }

  private hasProtocol(bit: number): boolean {
    return (this.protocolFeatures & (1n << BigInt(bit))) !== 0n;
  }

  private vring(index: number, what: string): Vring {
    const v = this.vrings[index];
    if (!Number.isInteger(index) || !v) throw new ProtocolError(`${what}: queue ${index} does not exist (the device has ${this.vrings.length})`);
    return v;
  }

  private oneFd(m: Message, what: string): number {
    if (m.fds.length !== 1) throw new ProtocolError(`${what}: expected one file descriptor, got ${m.fds.length}`);
    return m.fds[0];
  }

  private noFds(m: Message, what: string): void {
    if (m.fds.length) throw new ProtocolError(`${what}: ${m.fds.length} unexpected file descriptors`);
  }

  // #region dispatch
  /** Returns the reply payload, or null for a request without a reply. */
  private dispatch(m: Message): Uint8Array | null {
    const dev = this.served.device;
    const name = REQ_NAME[m.request] ?? `request ${m.request}`;
    if (m.request !== REQ.SET_MEM_TABLE && m.request !== REQ.SET_VRING_KICK && m.request !== REQ.SET_VRING_CALL && m.request !== REQ.SET_VRING_ERR && m.request !== REQ.SET_BACKEND_REQ_FD) {
      this.noFds(m, name);
    }
    switch (m.request) {
      case REQ.GET_FEATURES:
        return u64Payload(dev.offeredFeatures() | PROTOCOL_FEATURES_BIT);
      case REQ.SET_FEATURES: {
        const f = new PayloadReader(name, m.payload, 8).u64(0);
        const virtio = f & ~PROTOCOL_FEATURES_BIT;
        const extra = virtio & ~dev.offeredFeatures();
        if (extra) throw new ProtocolError(`features 0x${extra.toString(16)} were not offered`);
        if (this.active && virtio !== this.features) this.log('warn', `features changed while rings run (0x${this.features.toString(16)} -> 0x${virtio.toString(16)})`);
        this.features = virtio;
        this.ackedProtocolBit = (f & PROTOCOL_FEATURES_BIT) !== 0n;
        return null;
      }
      case REQ.GET_PROTOCOL_FEATURES:
        return u64Payload(BASE_PROTOCOL_FEATURES | (this.served.protocolFeatures ?? 0n));
      case REQ.SET_PROTOCOL_FEATURES: {
        const f = new PayloadReader(name, m.payload, 8).u64(0);
        const offered = BASE_PROTOCOL_FEATURES | (this.served.protocolFeatures ?? 0n);
        if (f & ~offered) throw new ProtocolError(`protocol features 0x${(f & ~offered).toString(16)} were not offered`);
        this.protocolFeatures = f;
        return null;
      }
      case REQ.SET_OWNER:
        return null;
      case REQ.RESET_OWNER:
      case REQ.RESET_DEVICE:
        this.resetAll();
        return null;
      case REQ.GET_QUEUE_NUM:
        return u64Payload(BigInt(this.served.queueNum));
      case REQ.SET_MEM_TABLE:
        this.setMemTable(m);
        return null;
      case REQ.SET_VRING_NUM: {
        const s = readVringState(name, m.payload);
        const v = this.vring(s.index, name);
        if (v.started) throw new ProtocolError(`SET_VRING_NUM: queue ${s.index} is running`);
        const max = dev.maxQueueSize(s.index);
        if (s.num < 1 || s.num > max || (!hasFeature(this.features, VIRTIO_F_RING_PACKED) && (s.num & (s.num - 1)) !== 0)) {
          throw new ProtocolError(`SET_VRING_NUM: size ${s.num} for queue ${s.index} (max ${max}${hasFeature(this.features, VIRTIO_F_RING_PACKED) ? '' : ', a power of 2'})`);
        }
        v.num = s.num;
        return null;
      }
      case REQ.SET_VRING_ADDR: {
        const a = readVringAddr(m.payload);
        const v = this.vring(a.index, name);
        if (v.started) throw new ProtocolError(`SET_VRING_ADDR: queue ${a.index} is running`);
        v.addr = a;
        return null;
      }
      case REQ.SET_VRING_BASE: {
        const s = readVringState(name, m.payload);
        const v = this.vring(s.index, name);
        if (v.started) throw new ProtocolError(`SET_VRING_BASE: queue ${s.index} is running`);
        v.base = s.num >>> 0;
        v.lastState = null;
        return null;
      }
      case REQ.GET_VRING_BASE: {
        const s = readVringState(name, m.payload);
        const v = this.vring(s.index, name);
        const state = this.stopRing(s.index);
        const num = state === null ? v.base : 'nextAvail' in state ? encodePackedBase(state) : state.lastAvail;
        return vringStatePayload({ index: s.index, num });
      }
      case REQ.SET_VRING_KICK:
      case REQ.SET_VRING_CALL:
      case REQ.SET_VRING_ERR: {
        const u = new PayloadReader(name, m.payload, 8).u64(0);
        const index = Number(u & BigInt(VRING_IDX_MASK));
        const noFd = (u & BigInt(VRING_NOFD_MASK)) !== 0n;
        const v = this.vring(index, name);
        let fd: number | null = null;
        if (noFd) this.noFds(m, name);
        else fd = this.oneFd(m, name);
        if (m.request === REQ.SET_VRING_KICK) {
          if (noFd) throw new ProtocolError('SET_VRING_KICK without a descriptor (polling mode) is not supported');
          this.setKick(index, v, fd!);
        } else if (m.request === REQ.SET_VRING_CALL) {
          if (v.callFd !== null) closeFd(v.callFd);
          v.callFd = fd;
        } else {
          if (v.errFd !== null) closeFd(v.errFd);
          v.errFd = fd;
        }
        return null;
      }
      case REQ.SET_VRING_ENABLE: {
        const s = readVringState(name, m.payload);
        const v = this.vring(s.index, name);
        v.enabled = s.num !== 0;
        if (v.enabled) this.maybeStart(s.index);
        else if (v.queue) {
          // A disabled ring keeps its place but the device stops using it.
          v.lastState = v.queue.ringState();
          v.queue = null;
          this.queues[s.index] = null;
        }
        return null;
      }
      case REQ.GET_CONFIG: {
        const c = readConfigAccess(name, m.payload);
        return configPayload(c.offset, c.flags, dev.config.read(c.offset, c.size));
      }
      case REQ.SET_CONFIG: {
        const c = readConfigAccess(name, m.payload);
        dev.writeConfig(c.offset, c.data);
        return null;
      }
      case REQ.SET_BACKEND_REQ_FD: {
        const fd = this.oneFd(m, name);
        if (this.backendFd !== null) closeFd(this.backendFd);
        this.backendFd = fd;
        return null;
      }
      default:
        throw new ProtocolError(`unsupported request ${name}`);
    }
  }
  // #endregion dispatch

  private setMemTable(m: Message): void {
    const descs = readMemTable(m.payload);
    if (this.table?.sameAs(descs)) {
      for (const fd of m.fds) closeFd(fd);
      return;
    }
    const next = MemoryTable.map(descs, m.fds);
    const old = this.table;
    this.table = next;
    // Running rings follow the new table from where they stand.
    for (let i = 0; i < this.vrings.length; i++) {
      const v = this.vrings[i];
      if (!v.queue) continue;
      v.lastState = v.queue.ringState();
      v.queue = null;
      this.queues[i] = null;
      this.maybeStart(i);
    }
    old?.unmapAll();
    this.log('info', `memory table: ${descs.length} region(s), ${(next.totalBytes / 1048576).toFixed(0)} MiB`);
  }

  private setKick(index: number, v: Vring, fd: number): void {
    if (v.kickFd !== null) {
      this.loop.remove(v.kickFd);
      closeFd(v.kickFd);
    }
    v.kickFd = fd;
    v.started = true;
    this.loop.add(fd, () => this.onKick(index, fd));
    this.maybeStart(index);
  }

  // #region start-ring
  /** Starts ring `index` if it is started and enabled and has what it needs. */
  private maybeStart(index: number): void {
    const v = this.vrings[index];
    if (v.queue || !v.started) return;
    // With VHOST_USER_F_PROTOCOL_FEATURES negotiated a ring starts disabled (vhost-user.rst, "Ring states").
    if (this.ackedProtocolBit && !v.enabled) return;
    if (!this.table) throw new ProtocolError(`queue ${index} started before SET_MEM_TABLE`);
    if (!v.addr) throw new ProtocolError(`queue ${index} started before SET_VRING_ADDR`);
    if (v.num === 0) throw new ProtocolError(`queue ${index} started before SET_VRING_NUM`);
    const ring = ringTypeOf(this.features);
    const areas = ringAreas(ring, v.num);
    const desc = this.table.toGuest(v.addr.desc, areas.desc.bytes);
    const avail = this.table.toGuest(v.addr.avail, areas.driver.bytes);
    const used = this.table.toGuest(v.addr.used, areas.device.bytes);
    if (desc === null || avail === null || used === null) {
      throw new ProtocolError(`queue ${index}: ring addresses desc 0x${v.addr.desc.toString(16)} avail 0x${v.addr.avail.toString(16)} used 0x${v.addr.used.toString(16)} are outside the memory table`);
    }
    const mem = this.table.memory;
    let start: SplitRingState | PackedRingState;
    if (v.lastState) start = v.lastState;
    else if (ring === 'packed') start = decodePackedBase(v.base);
    else start = { lastAvail: v.base & 0xffff, usedIdx: mem.readU16(used + 2) };
    const config = { size: v.num, descAddr: desc, driverAddr: avail, deviceAddr: used };
    try {
      v.queue = createDeviceQueue(mem, config, this.features, { start });
    } catch (e) {
      throw new ProtocolError(`queue ${index}: ${(e as Error).message}`);
    }
    v.lastState = null;
    this.queues[index] = v.queue;
    if (!this.active) this.activate();
    // Buffers the driver made available before the ring started are served now.
    this.guard(`queue ${index} start`, () => this.device.queueNotify(index));
  }
  // #endregion start-ring

  /** Stops ring `index`; returns where it stood, or null if it never ran. */
  private stopRing(index: number): SplitRingState | PackedRingState | null {
    const v = this.vrings[index];
    const state = v.queue ? v.queue.ringState() : v.lastState;
    if (v.kickFd !== null) {
      this.loop.remove(v.kickFd);
      closeFd(v.kickFd);
      v.kickFd = null;
    }
    v.started = false;
    v.queue = null;
    v.lastState = state;
    this.queues[index] = null;
    if (this.active && this.vrings.every((r) => !r.started)) this.deactivate();
    return state;
  }

  private activate(): void {
    const dev = this.device;
    const refusal = dev.checkFeatures(this.features);
    if (refusal) this.log('warn', `${dev.name}: the front end's features 0x${this.features.toString(16)}: ${refusal}`);
    const epoch = ++this.epoch;
    const self = this;
    const env: DeviceEnv = {
      get mem() {
        return self.table!.memory;
      },
      features: this.features,
      queues: this.queues,
      notifyUsed: (i) => {
        if (epoch === this.epoch) this.call(i);
      },
      needsReset: (e: VirtqError) => {
        if (epoch !== this.epoch) return;
        this.log('error', `${dev.name}: device error (${e.code}): ${e.message}`);
      },
    };
    this.active = true;
    this.guard('activate', () => dev.activate(env));
    this.log('info', `${dev.name} active: features 0x${this.features.toString(16)}, ${ringTypeOf(this.features)} rings`);
  }

  private deactivate(): void {
    if (!this.active) return;
    this.active = false;
    this.epoch++;
    this.guard('reset', () => this.device.reset());
  }

  private resetAll(): void {
    for (let i = 0; i < this.vrings.length; i++) {
      this.dropFds(this.vrings[i]);
      this.vrings[i] = freshVring();
      this.queues[i] = null;
    }
    this.deactivate();
    this.features = 0n;
  }

  private dropFds(v: Vring): void {
    if (v.kickFd !== null) {
      this.loop.remove(v.kickFd);
      closeFd(v.kickFd);
    }
    if (v.callFd !== null) closeFd(v.callFd);
    if (v.errFd !== null) closeFd(v.errFd);
    v.kickFd = v.callFd = v.errFd = null;
    v.queue = null;
    v.started = false;
  }

  private onKick(index: number, fd: number): void {
    if (this.closed || this.vrings[index].kickFd !== fd) return;
    drainEventFd(fd);
    this.stats.kicks++;
    if (!this.vrings[index].queue) return; // started but not enabled: the kick waits for the enable
    this.guard(`queue ${index} notify`, () => this.device.queueNotify(index));
  }

  private call(index: number): void {
    const fd = this.vrings[index]?.callFd;
    if (fd === null || fd === undefined) return;
    this.stats.calls++;
    signalEventFd(fd);
  }

  private configChanged(): void {
    if (this.backendFd === null || !this.hasProtocol(PROTOCOL_F.CONFIG) || !this.hasProtocol(PROTOCOL_F.BACKEND_REQ)) return;
    try {
      sendAll(this.backendFd, encodeMessage(BACKEND_REQ_CONFIG_CHANGE_MSG, FLAG_VERSION));
    } catch (e) {
      this.log('warn', `configuration change notification failed: ${(e as Error).message}`);
    }
  }

  /** A model that throws has a bug; it is logged and the connection carries on. */
  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.log('error', `${this.device.name} ${what} threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
  }
}

function freshVring(): Vring {
  return { num: 0, addr: null, base: 0, kickFd: null, callFd: null, errFd: null, enabled: false, started: false, queue: null, lastState: null };
}
