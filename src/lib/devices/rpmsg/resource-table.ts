// The remoteproc resource table: the list of resources a remote core's firmware asks for (memory
// carveouts, peripheral mappings, trace buffers, and the virtio device with its vrings), found
// in the image's ".resource_table" section. VIRTIO has nothing like it; the layout is Linux's
// (include/linux/remoteproc.h) and OpenAMP's (lib/include/openamp/remoteproc.h), and the checks
// below are, in order, the ones Linux makes before it boots a core (find_table in
// drivers/remoteproc/remoteproc_elf_loader.c, rproc_handle_resources and the rproc_handle_*
// functions in drivers/remoteproc/remoteproc_core.c), followed by the AVP's own: Linux skips a
// type it does not know and trusts a devmem entry's physical address ("for now", its comment
// says); a platform that loads firmware for a guest refuses both.
import { VIRTIO_ID_RPMSG } from './protocol.ts';

// #region rsc-layout
/** enum fw_resource_type. */
export const RSC_CARVEOUT = 0;
export const RSC_DEVMEM = 1;
export const RSC_TRACE = 2;
export const RSC_VDEV = 3;
export const RSC_LAST = 4;
export const RSC_VENDOR_START = 128;
export const RSC_VENDOR_END = 512;
/** FW_RSC_ADDR_ANY: the host chooses the address. */
export const FW_RSC_ADDR_ANY = 0xffff_ffff;

/** struct resource_table: le32 ver (1), le32 num, le32 reserved[2], le32 offset[num]. */
export const RSC_TABLE_HEADER_SIZE = 16;
/** struct fw_rsc_hdr: le32 type, then the entry. */
export const RSC_ENTRY_HEADER_SIZE = 4;
/** struct fw_rsc_carveout and fw_rsc_devmem: da, pa, len, flags, reserved, name[32]. */
export const RSC_CARVEOUT_SIZE = 52;
export const RSC_DEVMEM_SIZE = 52;
/** struct fw_rsc_trace: da, len, reserved, name[32]. */
export const RSC_TRACE_SIZE = 44;
/** struct fw_rsc_vdev without its vrings: id, notifyid, dfeatures, gfeatures, config_len, u8 status, u8 num_of_vrings, u8 reserved[2]. */
export const RSC_VDEV_SIZE = 24;
/** struct fw_rsc_vdev_vring: da, align, num, notifyid, pa. */
export const RSC_VRING_SIZE = 20;
/** RVDEV_NUM_VRINGS: Linux handles at most two vrings per virtio device. */
export const RVDEV_NUM_VRINGS = 2;
// #endregion rsc-layout

export interface MemoryRange {
  readonly base: number;
  readonly size: number;
}

export interface VringEntry {
  readonly da: number;
  readonly align: number;
  readonly num: number;
  readonly notifyid: number;
  readonly pa: number;
}

export type ResourceEntry =
  | { readonly type: 'carveout' | 'devmem'; readonly da: number; readonly pa: number; readonly len: number; readonly flags: number; readonly name: string }
  | { readonly type: 'trace'; readonly da: number; readonly len: number; readonly name: string }
  | { readonly type: 'vdev'; readonly id: number; readonly notifyid: number; readonly dfeatures: number; readonly gfeatures: number; readonly config: Uint8Array; readonly status: number; readonly vrings: readonly VringEntry[] };

export interface ResourceTable {
  readonly entries: readonly ResourceEntry[];
}

// #region rsc-errors
/**
 * Why a resource table is refused, one code per check. The first seven are Linux's checks (its
 * messages in brackets); the last three are the AVP's.
 */
export const RSC_ERRORS = [
  'RSC_HEADERLESS', // shorter than its 16-byte header ["header-less resource table"]
  'RSC_BAD_VERSION', // ver is not 1 ["unsupported fw ver"]
  'RSC_RESERVED', // a reserved field of the header or an entry is not zero ["non zero reserved bytes"]
  'RSC_INCOMPLETE', // the offset array runs past the table ["resource table incomplete"]
  'RSC_TRUNCATED', // an entry, its vrings or its config run past the table ["rsc table is truncated", "vdev rsc is truncated"]
  'RSC_TOO_MANY_VRINGS', // num_of_vrings above RVDEV_NUM_VRINGS ["too many vrings"]
  'RSC_BAD_VRING', // a vring of size or alignment 0 (Linux); the AVP adds: size not a power of two up to 32768
  'RSC_UNKNOWN_TYPE', // AVP: a type the platform does not handle; Linux warns and skips it
  'RSC_OUTSIDE_WINDOW', // AVP: memory outside the core's windows, or a devmem outside its peripherals
  'RSC_NO_RPMSG_VDEV', // AVP: no virtio device of ID 7 with two vrings
] as const;
export type RscError = (typeof RSC_ERRORS)[number];
// #endregion rsc-errors

export type RscCheck = { readonly ok: true; readonly table: ResourceTable } | { readonly ok: false; readonly error: RscError; readonly entry: number | null; readonly detail: string };

/** What the platform lets one core's firmware ask for. */
export interface CoreMemoryPolicy {
  /** Device-address ranges the core may use for carveouts, trace buffers and vrings. */
  readonly windows: readonly MemoryRange[];
  /** Physical ranges of peripherals the core may have mapped through devmem entries. */
  readonly peripherals: readonly MemoryRange[];
}

/** Bytes of a split vring of `num` entries whose used ring starts at an `align` boundary (Linux's vring_size). */
export function vringBytes(num: number, align: number): number {
  const descAndAvail = 16 * num + 2 * (3 + num);
  return Math.ceil(descAndAvail / align) * align + 2 * 3 + 8 * num;
}

function within(ranges: readonly MemoryRange[], base: number, size: number): boolean {
  return ranges.some((r) => base >= r.base && base + size <= r.base + r.size);
}

const isPowerOfTwo = (n: number) => n > 0 && (n & (n - 1)) === 0;

function name32(b: Uint8Array, at: number): string {
  const raw = b.subarray(at, at + 32);
  const end = raw.indexOf(0);
  return new TextDecoder().decode(end < 0 ? raw : raw.subarray(0, end));
}

// #region check-table
/** Checks a resource table as the platform must before it starts a core with it. */
export function checkResourceTable(bytes: Uint8Array, policy: CoreMemoryPolicy): RscCheck {
  const size = bytes.length;
  const fail = (error: RscError, entry: number | null, detail: string): RscCheck => ({ ok: false, error, entry, detail });
  if (size < RSC_TABLE_HEADER_SIZE) return fail('RSC_HEADERLESS', null, `${size} bytes`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, size);
  const u32 = (at: number) => v.getUint32(at, true);
  if (u32(0) !== 1) return fail('RSC_BAD_VERSION', null, `ver ${u32(0)}`);
  if (u32(8) !== 0 || u32(12) !== 0) return fail('RSC_RESERVED', null, 'table header');
  const num = u32(4);
  if (RSC_TABLE_HEADER_SIZE + 4 * num > size) return fail('RSC_INCOMPLETE', null, `${num} offsets in ${size} bytes`);

  const entries: ResourceEntry[] = [];
  for (let i = 0; i < num; i++) {
    const offset = u32(RSC_TABLE_HEADER_SIZE + 4 * i);
    // avail = table_sz - offset - sizeof(hdr), as rproc_handle_resources computes it.
    const avail = size - offset - RSC_ENTRY_HEADER_SIZE;
    if (avail < 0) return fail('RSC_TRUNCATED', i, `entry at ${offset}`);
    const type = u32(offset);
    const at = offset + RSC_ENTRY_HEADER_SIZE;
    if (type === RSC_CARVEOUT || type === RSC_DEVMEM) {
      if (avail < RSC_CARVEOUT_SIZE) return fail('RSC_TRUNCATED', i, 'carveout or devmem');
      if (u32(at + 16) !== 0) return fail('RSC_RESERVED', i, 'carveout or devmem');
      const e = { type: type === RSC_CARVEOUT ? ('carveout' as const) : ('devmem' as const), da: u32(at), pa: u32(at + 4), len: u32(at + 8), flags: u32(at + 12), name: name32(bytes, at + 20) };
      // AVP: a carveout at a fixed address lies in the core's windows; a devmem entry maps only
      // a peripheral the platform gave this core (Linux maps whatever pa the firmware names).
      if (e.type === 'carveout' && e.da !== FW_RSC_ADDR_ANY && !within(policy.windows, e.da, e.len)) return fail('RSC_OUTSIDE_WINDOW', i, `carveout "${e.name}" at 0x${e.da.toString(16)}+0x${e.len.toString(16)}`);
      if (e.type === 'devmem' && !within(policy.peripherals, e.pa, e.len)) return fail('RSC_OUTSIDE_WINDOW', i, `devmem "${e.name}" at pa 0x${e.pa.toString(16)}+0x${e.len.toString(16)}`);
      entries.push(e);
    } else if (type === RSC_TRACE) {
      if (avail < RSC_TRACE_SIZE) return fail('RSC_TRUNCATED', i, 'trace');
      if (u32(at + 8) !== 0) return fail('RSC_RESERVED', i, 'trace');
      const e = { type: 'trace' as const, da: u32(at), len: u32(at + 4), name: name32(bytes, at + 12) };
      if (!within(policy.windows, e.da, e.len)) return fail('RSC_OUTSIDE_WINDOW', i, `trace "${e.name}" at 0x${e.da.toString(16)}`);
      entries.push(e);
    } else if (type === RSC_VDEV) {
      if (avail < RSC_VDEV_SIZE) return fail('RSC_TRUNCATED', i, 'vdev');
      const nVrings = bytes[at + 21];
      const configLen = u32(at + 16);
      if (RSC_VDEV_SIZE + RSC_VRING_SIZE * nVrings + configLen > avail) return fail('RSC_TRUNCATED', i, `vdev with ${nVrings} vrings and ${configLen} config bytes`);
      if (bytes[at + 22] !== 0 || bytes[at + 23] !== 0) return fail('RSC_RESERVED', i, 'vdev');
      if (nVrings > RVDEV_NUM_VRINGS) return fail('RSC_TOO_MANY_VRINGS', i, `${nVrings} vrings`);
      const vrings: VringEntry[] = [];
      for (let r = 0; r < nVrings; r++) {
        const vr = at + RSC_VDEV_SIZE + RSC_VRING_SIZE * r;
        const ring = { da: u32(vr), align: u32(vr + 4), num: u32(vr + 8), notifyid: u32(vr + 12), pa: u32(vr + 16) };
        if (ring.num === 0 || ring.align === 0) return fail('RSC_BAD_VRING', i, `vring ${r}: num ${ring.num}, align ${ring.align}`);
        // AVP: a split ring's size is a power of two up to 32768 (§2.7); the header comment of
        // struct fw_rsc_vdev_vring says so too, but Linux does not check it.
        if (!isPowerOfTwo(ring.num) || ring.num > 32768) return fail('RSC_BAD_VRING', i, `vring ${r}: num ${ring.num} is not a power of two up to 32768`);
        if (ring.da !== FW_RSC_ADDR_ANY && !within(policy.windows, ring.da, vringBytes(ring.num, ring.align))) return fail('RSC_OUTSIDE_WINDOW', i, `vring ${r} at 0x${ring.da.toString(16)}`);
        vrings.push(ring);
      }
      const cfgAt = at + RSC_VDEV_SIZE + RSC_VRING_SIZE * nVrings;
      entries.push({ type: 'vdev', id: u32(at), notifyid: u32(at + 4), dfeatures: u32(at + 8), gfeatures: u32(at + 12), config: bytes.slice(cfgAt, cfgAt + configLen), status: bytes[at + 20], vrings });
    } else {
      // Vendor types (128 to 512) go to the platform's own handler in Linux, other types are
      // skipped with a warning. The model's platform handles no vendor type, and the AVP does
      // not start a core whose table asks for something nobody provided.
      return fail('RSC_UNKNOWN_TYPE', i, `type ${type}`);
    }
  }
  if (!entries.some((e) => e.type === 'vdev' && e.id === VIRTIO_ID_RPMSG && e.vrings.length === 2)) return fail('RSC_NO_RPMSG_VDEV', null, 'no vdev of ID 7 with two vrings');
  return { ok: true, table: { entries } };
}
// #endregion check-table

/** Lays out a resource table, every reserved field zero: firmware builders, tests and examples use it. */
export function buildResourceTable(entries: readonly ResourceEntry[]): Uint8Array {
  const bodies = entries.map(entryBytes);
  const head = RSC_TABLE_HEADER_SIZE + 4 * entries.length;
  const out = new Uint8Array(head + bodies.reduce((n, b) => n + b.length, 0));
  const v = new DataView(out.buffer);
  v.setUint32(0, 1, true);
  v.setUint32(4, entries.length, true);
  let at = head;
  bodies.forEach((b, i) => {
    v.setUint32(RSC_TABLE_HEADER_SIZE + 4 * i, at, true);
    out.set(b, at);
    at += b.length;
  });
  return out;
}

/** One entry with its fw_rsc_hdr. */
function entryBytes(e: ResourceEntry): Uint8Array {
  const size = e.type === 'trace' ? RSC_TRACE_SIZE : e.type === 'vdev' ? RSC_VDEV_SIZE + RSC_VRING_SIZE * e.vrings.length + e.config.length : RSC_CARVEOUT_SIZE;
  const b = new Uint8Array(RSC_ENTRY_HEADER_SIZE + size);
  const v = new DataView(b.buffer);
  const w = (at: number, x: number) => v.setUint32(at, x >>> 0, true);
  const putName = (at: number, name: string) => {
    const n = new TextEncoder().encode(name);
    if (n.length > 31) throw new RangeError(`resource name "${name}": at most 31 bytes`);
    b.set(n, at);
  };
  if (e.type === 'vdev') {
    w(0, RSC_VDEV);
    w(4, e.id);
    w(8, e.notifyid);
    w(12, e.dfeatures);
    w(16, e.gfeatures);
    w(20, e.config.length);
    b[24] = e.status;
    b[25] = e.vrings.length;
    e.vrings.forEach((r, k) => {
      const at = 28 + RSC_VRING_SIZE * k;
      w(at, r.da);
      w(at + 4, r.align);
      w(at + 8, r.num);
      w(at + 12, r.notifyid);
      w(at + 16, r.pa);
    });
    b.set(e.config, 28 + RSC_VRING_SIZE * e.vrings.length);
  } else if (e.type === 'trace') {
    w(0, RSC_TRACE);
    w(4, e.da);
    w(8, e.len);
    putName(16, e.name);
  } else {
    w(0, e.type === 'carveout' ? RSC_CARVEOUT : RSC_DEVMEM);
    w(4, e.da);
    w(8, e.pa);
    w(12, e.len);
    w(16, e.flags);
    putName(24, e.name);
  }
  return b;
}

/** The usual rpmsg firmware's vdev entry: ID 7, VIRTIO_RPMSG_F_NS offered, two vrings of `num` entries. */
export function rpmsgVdev(opts: { vring0: number; vring1: number; num?: number; align?: number; nsFeature?: boolean }): ResourceEntry {
  const num = opts.num ?? 256;
  const align = opts.align ?? 0x1000;
  return {
    type: 'vdev',
    id: VIRTIO_ID_RPMSG,
    notifyid: 0,
    dfeatures: (opts.nsFeature ?? true) ? 1 : 0,
    gfeatures: 0,
    config: new Uint8Array(0),
    status: 0,
    vrings: [
      { da: opts.vring0, align, num, notifyid: 0, pa: 0 },
      { da: opts.vring1, align, num, notifyid: 1, pa: 0 },
    ],
  };
}
