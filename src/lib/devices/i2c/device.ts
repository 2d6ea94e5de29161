// The I2C adapter device, VIRTIO 1.4 §5.16 (device ID 34), as one guest's window onto a shared
// physical bus (bus.ts). Each request is one segment; requests linked by FAIL_NEXT form one
// transaction. The device runs a transaction only once all of it is in hand, as one START ...
// STOP sequence with repeated STARTs between its segments, so a guest never holds the shared
// bus between segments it has not sent yet. It runs in the guest's turn and within the guest's
// bus-time budget (arbiter.ts), and completes the requests when the transaction has left the
// bus in model time. A request the device cannot carry out (malformed, an address the guest
// does not own, too long for its budget) gets VIRTIO_I2C_MSG_ERR and never reaches the bus.
import { type DescriptorChain, totalLength, writableBuffers } from '../../virtio/chain.ts';
import { ChainWriter, readChain } from '../../virtio/chain-io.ts';
import { VirtioDevice } from '../../virtio/device.ts';
import { bit, type Features, hasFeature } from '../../virtio/feature-bits.ts';
import type { BusClient, BusPort } from './arbiter.ts';
import { I2cBus } from './bus.ts';
import * as P from './protocol.ts';

// #region i2c-faults
/** Why a request failed: the reasons the device counts, each answered VIRTIO_I2C_MSG_ERR. */
export type I2cFailure =
  | 'short-header' //      fewer than 8 device-readable bytes: no out header
  | 'no-status-room' //    no device-writable byte for the in header: nothing can be answered
  | 'bad-address' //       addr is neither a 7-bit nor a 10-bit address (§5.16.6.1)
  | 'reserved-flags' //    a flags bit other than FAIL_NEXT and M_RD is set
  | 'read-with-data' //    M_RD set, but device-readable bytes follow the header
  | 'write-with-room' //   M_RD clear, but more than the status byte is device-writable
  | 'not-owned' //         the platform's table gives the address to another guest, or to none
  | 'too-long' //          the transaction would take longer than the guest's maxTransactionUs
  | 'nack' //              the part did not acknowledge (absent, busy, or refused a byte)
  | 'group-failed' //      an earlier request of the same FAIL_NEXT group failed (§5.16.6.2)
  | 'suspended'; //        taken but not run when the driver suspended the device
// #endregion i2c-faults

interface Req {
  readonly chain: DescriptorChain;
  readonly takenAt: number;
  readonly flags: number;
  readonly seg: { addr: P.I2cAddress; read: boolean; data: Uint8Array; readLen: number } | null;
  /** Device-writable bytes: the read buffer and the status byte. */
  readonly room: number;
  fault: I2cFailure | null;
  data: Uint8Array;
}

export interface I2cAdapterStats {
  ok: number;
  readonly failures: Map<I2cFailure, number>;
  transactions: number;
  /** Longest time from taking a request to completing it, µs of model time. */
  maxLatencyUs: number;
}

export interface I2cAdapterOptions {
  readonly bus: I2cBus;
  /** The guest this device belongs to: its row of the bus's table. */
  readonly guest: string;
}

export class I2cAdapterDevice extends VirtioDevice implements BusClient {
  readonly deviceId = P.VIRTIO_ID_I2C_ADAPTER;
  readonly name = 'virtio-i2c';
  readonly bus: I2cBus;
  readonly guest: string;
  readonly port: BusPort;
  readonly stats: I2cAdapterStats = { ok: 0, failures: new Map(), transactions: 0, maxLatencyUs: 0 };
  /** The FAIL_NEXT group being collected: its last request so far has FAIL_NEXT set. */
  private open: Req[] = [];
  /** Complete groups, in queue order, waiting for the bus. */
  private ready: Req[][] = [];
  /** The group on the bus. */
  private onBus: Req[] | null = null;
  private suspended = false;

  constructor(opts: I2cAdapterOptions) {
    super(0); // §5.16.4: no configuration fields
    this.bus = opts.bus;
    this.guest = opts.guest;
    const row = this.bus.row(opts.guest);
    if (!row) throw new RangeError(`${this.bus.name}: no row for guest ${opts.guest}`);
    this.port = this.bus.arbiter.join(opts.guest, row.busTime ?? null, this);
  }

  protected deviceFeatures(): Features {
    return bit(P.VIRTIO_I2C_F_ZERO_LENGTH_REQUEST); // §5.16.6.4: the device MUST offer it
  }

  checkFeatures(accepted: Features): string | null {
    // §5.16.6.4: a driver that does not accept the feature is refused at FEATURES_OK.
    if (!hasFeature(accepted, P.VIRTIO_I2C_F_ZERO_LENGTH_REQUEST)) return 'VIRTIO_I2C_F_ZERO_LENGTH_REQUEST not accepted';
    return super.checkFeatures(accepted);
  }

  queueCount(): number {
    return 1; // §5.16.2: the requestq
  }

  private get now(): number {
    return this.bus.arbiter.clock?.now ?? 0;
  }

  queueNotify(index: number): void {
    if (!this.active || this.suspended || index !== P.I2C_REQUESTQ) return;
    this.take();
    this.completeHeadsWithoutBus();
    this.bus.arbiter.wake();
  }

  // #region take
  /** Takes every available request, parses it, and files it into its FAIL_NEXT group. */
  private take(): void {
    const q = this.queue(P.I2C_REQUESTQ);
    if (!q) return;
    for (;;) {
      const r = q.pop();
      if (r.kind === 'empty') return;
      if (r.kind === 'error') return this.env.needsReset(r.error);
      const req = this.parse(r.chain);
      this.open.push(req);
      // FAIL_NEXT clear ends the group; a request whose header could not be read has no flags.
      if ((req.flags & P.VIRTIO_I2C_FLAGS_FAIL_NEXT) === 0) {
        this.ready.push(this.open);
        this.open = [];
      }
    }
  }
  // #endregion take

  // #region parse
  private parse(chain: DescriptorChain): Req {
    const bytes = readChain(this.env.mem, chain);
    const room = totalLength(writableBuffers(chain));
    const base = { chain, takenAt: this.now, room, data: new Uint8Array(0) };
    if (bytes.length < P.I2C_OUT_HDR_SIZE) return { ...base, flags: 0, seg: null, fault: room < P.I2C_IN_HDR_SIZE ? 'no-status-room' : 'short-header' };
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const addr = P.decodeAddress(v.getUint16(0, true));
    const flags = v.getUint32(4, true); // the padding (bytes 2..3) carries nothing and is ignored
    const read = (flags & P.VIRTIO_I2C_FLAGS_M_RD) !== 0;
    const data = bytes.subarray(P.I2C_OUT_HDR_SIZE);
    const readLen = Math.max(0, room - P.I2C_IN_HDR_SIZE);
    const seg = addr ? { addr, read, data: read ? new Uint8Array(0) : data.slice(), readLen: read ? readLen : 0 } : null;
    let fault: I2cFailure | null = null;
    if (room < P.I2C_IN_HDR_SIZE) fault = 'no-status-room'; // still read its flags: it may be in a group
    else if (!addr) fault = 'bad-address';
    else if (flags & ~P.VIRTIO_I2C_FLAGS_DEFINED) fault = 'reserved-flags';
    else if (read && data.length > 0) fault = 'read-with-data'; // §5.16.6.3: a read's buffer is device-writable
    else if (!read && readLen > 0) fault = 'write-with-room'; // §5.16.6.3: a write's buffer is device-readable
    else if (this.bus.ownerOf(addr) !== this.guest) fault = 'not-owned';
    return { ...base, flags, seg, fault };
  }
  // #endregion parse

  // #region bus-client
  /** The segments of a group that would go on the bus: those before its first fault. */
  private runnable(group: Req[]): Req[] {
    const i = group.findIndex((r) => r.fault !== null);
    return i < 0 ? group : group.slice(0, i);
  }

  /** Worst-case bus time of a group: every runnable segment acknowledged, plus the STOP. */
  private cost(group: Req[]): number {
    const segs = this.runnable(group);
    if (segs.length === 0) return 0;
    return this.bus.micros(segs.reduce((n, r) => n + I2cBus.segmentBits(r.seg!), 1));
  }

  nextCost(): number | null {
    if (this.suspended || !this.active || this.onBus) return null;
    const g = this.ready[0];
    return g ? this.cost(g) : null;
  }

  run(at: number): number {
    const group = this.ready.shift()!;
    this.onBus = group;
    const segs = this.runnable(group);
    const { results, bits } = this.bus.run(
      segs.map((r) => r.seg!),
      this.bus.arbiter.clock ? at : null,
    );
    results.forEach((res, i) => {
      segs[i].data = res.data;
      if (!res.ok) segs[i].fault ??= 'nack';
    });
    // §5.16.6.2: after the first failure the rest of the group fails without being attempted.
    const first = group.findIndex((r) => r.fault !== null);
    if (first >= 0) for (const r of group.slice(first + 1)) r.fault = 'group-failed';
    this.stats.transactions++;
    return segs.length === 0 ? 0 : this.bus.micros(bits);
  }

  finish(end: number): void {
    const group = this.onBus;
    this.onBus = null;
    if (!group || !this.active) return; // reset while on the bus: nothing to answer
    this.complete(group, end);
    this.completeHeadsWithoutBus();
  }
  // #endregion bus-client

  /**
   * Answers, in queue order, the groups at the head that need no bus: one whose first request
   * is already faulty, and one too long for the guest's maxTransactionUs (it never reaches the
   * bus). Stops at the first group that must wait for the bus.
   */
  private completeHeadsWithoutBus(): void {
    if (!this.active || this.onBus) return;
    const max = this.port.policy?.maxTransactionUs ?? Infinity;
    while (this.ready.length > 0) {
      const g = this.ready[0];
      const cost = this.cost(g);
      if (cost > 0 && cost <= max) return;
      this.ready.shift();
      if (cost > max) g[0].fault = 'too-long';
      // §5.16.6.2: the requests after the first failure fail with it, unattempted.
      const first = g.findIndex((r) => r.fault !== null);
      for (const r of g.slice(first + 1)) r.fault = 'group-failed';
      this.complete(g, this.now);
    }
  }

  // #region complete
  private complete(group: Req[], end: number): void {
    const q = this.queue(P.I2C_REQUESTQ);
    if (!q) return;
    for (const r of group) {
      const w = new ChainWriter(this.env.mem, r.chain);
      let len = 0;
      if (r.room >= P.I2C_IN_HDR_SIZE) {
        const ok = r.fault === null;
        // Everything before the status byte: the data read, or zeros, so a failed read never
        // shows stale bytes and never another guest's (§5.16.6.3: the driver ignores it anyway).
        const body = new Uint8Array(r.room - P.I2C_IN_HDR_SIZE);
        if (ok && r.seg?.read) body.set(r.data.subarray(0, body.length));
        w.write(body);
        w.write(Uint8Array.of(ok ? P.VIRTIO_I2C_MSG_OK : P.VIRTIO_I2C_MSG_ERR));
        len = w.written;
      }
      if (r.fault === null) this.stats.ok++;
      else this.stats.failures.set(r.fault, (this.stats.failures.get(r.fault) ?? 0) + 1);
      this.stats.maxLatencyUs = Math.max(this.stats.maxLatencyUs, end - r.takenAt);
      q.push(r.chain, len);
    }
    if (q.needsNotification()) this.env.notifyUsed(P.I2C_REQUESTQ);
  }
  // #endregion complete

  // #region suspend
  /**
   * §3.4: stop taking requests and finish those taken. The group on the bus has its results
   * already and is answered now; groups not yet run (or still missing their last request)
   * are answered with ERR, never run later behind the guest's back.
   */
  suspend(): void {
    if (!this.active) return;
    if (this.onBus) {
      const g = this.onBus;
      this.onBus = null;
      this.complete(g, this.now);
    }
    for (const g of [...this.ready, ...(this.open.length ? [this.open] : [])]) {
      for (const r of g) r.fault ??= 'suspended';
      this.complete(g, this.now);
    }
    this.ready = [];
    this.open = [];
    this.suspended = true;
  }

  resume(): void {
    this.suspended = false;
    if (this.active) this.queueNotify(P.I2C_REQUESTQ);
  }
  // #endregion suspend

  protected onReset(): void {
    this.open = [];
    this.ready = [];
    this.onBus = null; // the arbiter still lets the transaction finish on the wire; finish() finds nothing
    this.suspended = false;
  }
}
