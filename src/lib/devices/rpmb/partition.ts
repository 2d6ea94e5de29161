// Several guests on one physical RPMB. The platform owns the physical part and its key; each
// guest gets a virtual RPMB of its own, with its own key, its own write counter and its own
// window of blocks, and sees a complete VIRTIO RPMB device. The physical part only ever sees
// the platform's requests, MACed with the platform's key, so a guest's frames can never reach
// another guest's blocks: they are checked against the guest's own key and counter, and the
// address they name is an offset in the guest's own window.
//
// Layout of the physical part: unit 0 (the first 128 KiB) is the platform's, with one
// metadata block per guest at block i; guest i's window follows in whole units, in the order
// the guests are listed. A metadata block holds the guest's virtual counter and its key,
// wrapped, so that the state survives a power cycle and is as replay-protected as the data.
import type { RpmbGeometry } from './config.ts';
import { geometryError } from './config.ts';
import { RpmbClient, resultOk, type RpmbExchange, seededNonces } from './client.ts';
import { RPMB_BLOCKS_PER_UNIT, RPMB_COUNTER_MAX, RPMB_DATA_SIZE, RPMB_KEY_SIZE, VIRTIO_RPMB_RES_NO_AUTH_KEY } from './frame.ts';
import { hmacSha256, type MacFunction } from './hmac.ts';
import type { RpmbStore } from './store.ts';

export interface GuestRpmbSpec {
  readonly name: string;
  /** The guest's virtual capacity, in 128 KiB units. */
  readonly capacity: number;
  /**
   * Authenticated writes the guest may ever make: its share of the physical write counter.
   * At this count its virtual counter is expired, whatever the other guests do.
   */
  readonly maxWrites: number;
  /** Blocks per write and per read; default (and at most) the physical part's. */
  readonly maxWrCnt?: number;
  readonly maxRdCnt?: number;
}

export interface RpmbPartitionOptions {
  /** How the platform reaches its physical part, and what that part reports. */
  readonly physical: RpmbExchange;
  readonly physicalGeometry: RpmbGeometry;
  /** The platform's secret: the physical key and the key-wrapping key are derived from it. */
  readonly platformSecret: Uint8Array;
  readonly guests: readonly GuestRpmbSpec[];
  /** Physical writes kept for the platform's own use (its rollback indices); default 0. */
  readonly platformWrites?: number;
  readonly mac?: MacFunction;
  readonly nonces?: () => Uint8Array;
}

/** Where a guest's blocks are on the physical part. */
export interface PartitionLayout {
  readonly name: string;
  readonly metaBlock: number;
  readonly base: number;
  readonly blocks: number;
}

const MAGIC = [0x41, 0x56, 0x50, 0x52]; // "AVPR"
const META_FLAGS = 5;
const META_COUNTER = 8;
const META_KEY = 12;
const META_NAME = 44;
const META_NAME_SIZE = 32;
const KEY_PROGRAMMED = 1;
const label = (s: string) => new TextEncoder().encode(s);

/** Physical writes a guest still needs: two per write left (data, then metadata), one for its key. */
const writesNeeded = (spec: GuestRpmbSpec, counter: number, keyed: boolean) => 2 * Math.max(0, spec.maxWrites - counter) + (keyed ? 0 : 1);

// #region partitioner
export class RpmbPartitioner {
  readonly layout: readonly PartitionLayout[];
  /** The platform's requester on the physical part: it holds the physical key. */
  readonly physical: RpmbClient;
  private readonly stores = new Map<string, GuestRpmbStore>();

  private constructor(opts: RpmbPartitionOptions, layout: PartitionLayout[], physical: RpmbClient, kek: Uint8Array, mac: MacFunction) {
    this.layout = layout;
    this.physical = physical;
    opts.guests.forEach((spec, i) => this.stores.set(spec.name, new GuestRpmbStore(this, spec, layout[i], opts.physicalGeometry, kek, mac)));
  }

  /**
   * Opens the physical part: programs the platform's key on first use, lays out the guests,
   * and loads each guest's key and counter. Refuses a layout that does not fit, or guests
   * whose write budgets add up to more than the physical counter has left.
   */
  static open(opts: RpmbPartitionOptions): RpmbPartitioner {
    const mac = opts.mac ?? hmacSha256;
    const g = opts.physicalGeometry;
    const err = geometryError(g);
    if (err) throw new RangeError(`physical RPMB: ${err}`);
    const names = new Set(opts.guests.map((s) => s.name));
    if (names.size !== opts.guests.length) throw new RangeError('guest names must be unique');
    if (opts.guests.length > RPMB_BLOCKS_PER_UNIT) throw new RangeError('at most 512 guests');
    const layout: PartitionLayout[] = [];
    let unit = 1;
    opts.guests.forEach((s, i) => {
      if (!Number.isInteger(s.capacity) || s.capacity < 1) throw new RangeError(`${s.name}: capacity of at least one unit`);
      if (!Number.isInteger(s.maxWrites) || s.maxWrites < 1 || s.maxWrites > RPMB_COUNTER_MAX) throw new RangeError(`${s.name}: maxWrites 1 to 0xFFFFFFFF`);
      layout.push({ name: s.name, metaBlock: i, base: unit * RPMB_BLOCKS_PER_UNIT, blocks: s.capacity * RPMB_BLOCKS_PER_UNIT });
      unit += s.capacity;
    });
    if (unit > g.capacity) throw new RangeError(`the guests need ${unit} units (one for the platform), the physical part has ${g.capacity}`);

    const physKey = mac(opts.platformSecret, label('AVP RPMB physical key'));
    const kek = mac(opts.platformSecret, label('AVP RPMB key wrapping'));
    const physical = new RpmbClient(opts.physical, { key: physKey, mac, nonces: opts.nonces ?? seededNonces(0xa11ce) });
    let c = physical.readCounter();
    if (c.result === VIRTIO_RPMB_RES_NO_AUTH_KEY) {
      if (!resultOk(physical.programKey().result)) throw new Error('physical RPMB: programming the platform key failed');
      c = physical.readCounter();
    }
    if (c.counter === null) throw new Error('physical RPMB: the counter does not verify (another key, or a tampered part)');
    const p = new RpmbPartitioner(opts, layout, physical, kek, mac);
    let needed = opts.platformWrites ?? 0;
    for (const spec of opts.guests) {
      const s = p.stores.get(spec.name)!;
      s.load();
      needed += writesNeeded(spec, s.counter(), s.key() !== null);
    }
    if (c.counter + needed > RPMB_COUNTER_MAX) throw new RangeError(`write budgets need ${needed} physical writes, the counter has ${RPMB_COUNTER_MAX - c.counter} left`);
    return p;
  }

  /** The virtual RPMB store of a guest, to put behind that guest's virtio-rpmb device. */
  store(name: string): GuestRpmbStore {
    const s = this.stores.get(name);
    if (!s) throw new RangeError(`no RPMB partition for guest ${name}`);
    return s;
  }
}
// #endregion partitioner

// #region guest-store
/** A guest's virtual RPMB: its key, counter and window, kept on the physical part. */
export class GuestRpmbStore implements RpmbStore {
  readonly geometry: RpmbGeometry;
  readonly spec: GuestRpmbSpec;
  readonly layout: PartitionLayout;
  private readonly owner: RpmbPartitioner;
  private readonly pad: Uint8Array;
  private keyBytes: Uint8Array | null = null;
  private count = 0;

  constructor(owner: RpmbPartitioner, spec: GuestRpmbSpec, layout: PartitionLayout, phys: RpmbGeometry, kek: Uint8Array, mac: MacFunction) {
    this.owner = owner;
    this.spec = spec;
    this.layout = layout;
    const limit = (own: number | undefined, p: number) => (p === 0 ? (own ?? 0) : Math.min(own || p, p));
    this.geometry = { capacity: spec.capacity, maxWrCnt: limit(spec.maxWrCnt, phys.maxWrCnt), maxRdCnt: limit(spec.maxRdCnt, phys.maxRdCnt) };
    // The key is stored wrapped with a pad of this guest's own; it is written once, so the pad is used once.
    this.pad = mac(kek, label(`guest key ${spec.name}`));
  }

  /** Reads the metadata block; a block the platform never wrote is a fresh partition. */
  load(): void {
    const r = this.owner.physical.read(this.layout.metaBlock, 1);
    if (!r.data) throw new Error(`${this.spec.name}: metadata block does not verify`);
    const m = r.data;
    if (!MAGIC.every((b, i) => m[i] === b)) return; // never written
    const name = new TextDecoder().decode(m.subarray(META_NAME, META_NAME + META_NAME_SIZE)).replace(/\0+$/, '');
    if (name !== this.spec.name.slice(0, META_NAME_SIZE)) throw new Error(`metadata block ${this.layout.metaBlock} belongs to ${name}, not ${this.spec.name}`);
    this.count = new DataView(m.buffer, m.byteOffset).getUint32(META_COUNTER, false);
    if (m[META_FLAGS] & KEY_PROGRAMMED) this.keyBytes = m.slice(META_KEY, META_KEY + RPMB_KEY_SIZE).map((b, i) => b ^ this.pad[i]);
  }

  key(): Uint8Array | null {
    return this.keyBytes;
  }

  counter(): number {
    return this.count;
  }

  /** Expired at the guest's own budget: another guest's writes never bring it closer. */
  expired(): boolean {
    return this.count >= this.spec.maxWrites;
  }

  programKey(key: Uint8Array): boolean {
    if (this.keyBytes || key.length !== RPMB_KEY_SIZE) return false;
    if (!this.saveMeta(this.count, key)) return false;
    this.keyBytes = key.slice();
    return true;
  }

  read(address: number, count: number): Uint8Array | null {
    return this.owner.physical.read(this.layout.base + address, count).data;
  }

  /**
   * The data first, then the counter: after a power loss between the two, the guest sees its
   * old counter, and the only write it (or anyone) can replay is this one, which writes the same data.
   */
  write(address: number, data: Uint8Array): boolean {
    const w = this.owner.physical.write(this.layout.base + address, data);
    if (!w.applied) return false;
    if (!this.saveMeta(this.count + 1, this.keyBytes)) return false;
    this.count++;
    return true;
  }

  private saveMeta(counter: number, key: Uint8Array | null): boolean {
    const m = new Uint8Array(RPMB_DATA_SIZE);
    m.set(MAGIC, 0);
    m[4] = 1; // version
    if (key) {
      m[META_FLAGS] = KEY_PROGRAMMED;
      m.set(key.map((b, i) => b ^ this.pad[i]), META_KEY);
    }
    new DataView(m.buffer).setUint32(META_COUNTER, counter, false);
    m.set(label(this.spec.name).subarray(0, META_NAME_SIZE), META_NAME);
    const w = this.owner.physical.write(this.layout.metaBlock, m);
    return w.applied;
  }
}
// #endregion guest-store


