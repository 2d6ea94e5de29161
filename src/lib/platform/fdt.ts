// The flattened device tree (DTB) format of DTSpec 5: a small writer, and a reader for tests and
// tools. Everything in a blob is big-endian. The writer produces the same bytes as dtc 1.6
// compiling the source of dts.ts: same block order, no padding, and the same strings table,
// including dtc's habit of reusing the tail of an existing name (see addString).
import type { DeviceTree, DtNode, DtValue } from './devicetree.ts';

// #region fdt-header
/** Header fields (DTSpec 5.2), in order: ten big-endian 32-bit words, 40 bytes. */
export const FDT_MAGIC = 0xd00dfeed;
export const FDT_VERSION = 17;
export const FDT_LAST_COMP_VERSION = 16;
export const FDT_HEADER_SIZE = 40;

/** Structure block tokens (DTSpec 5.4.1). */
export const FDT_BEGIN_NODE = 0x1;
export const FDT_END_NODE = 0x2;
export const FDT_PROP = 0x3;
export const FDT_NOP = 0x4;
export const FDT_END = 0x9;

export interface FdtHeader {
  magic: number;
  totalsize: number;
  off_dt_struct: number;
  off_dt_strings: number;
  off_mem_rsvmap: number;
  version: number;
  last_comp_version: number;
  boot_cpuid_phys: number;
  size_dt_strings: number;
  size_dt_struct: number;
}
// #endregion fdt-header

const utf8 = new TextEncoder();
const align4 = (n: number) => (n + 3) & ~3;

/** A growable big-endian byte buffer. */
class Writer {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  length = 0;
  private room(n: number) {
    if (this.length + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    bigger.set(this.buf);
    this.buf = bigger;
    this.view = new DataView(bigger.buffer);
  }
  u32(v: number) {
    this.room(4);
    this.view.setUint32(this.length, v >>> 0);
    this.length += 4;
  }
  u64(v: number) {
    this.u32(Math.floor(v / 2 ** 32));
    this.u32(v % 2 ** 32);
  }
  bytes(b: Uint8Array) {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  /** Zero bytes up to the next multiple of 4 (DTSpec 5.4.1: every token is 4-byte aligned). */
  pad4() {
    const n = align4(this.length) - this.length;
    this.room(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
  }
  take(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

// #region fdt-value
/** A property's value as bytes (DTSpec 2.2.4.2): strings NUL-terminated, cells big-endian. */
export function encodeValue(v: DtValue, phandles: ReadonlyMap<string, number>): Uint8Array {
  const w = new Writer();
  if (v.kind === 'strings') for (const s of v.values) w.bytes(utf8.encode(`${s}\0`));
  if (v.kind === 'cells') {
    for (const c of v.groups.flat()) {
      if (typeof c === 'number') w.u32(c);
      else {
        const ph = phandles.get(c.ref);
        if (ph === undefined) throw new Error(`no node has the label "${c.ref}" and a phandle`);
        w.u32(ph);
      }
    }
  }
  return w.take();
}
// #endregion fdt-value

/** label -> phandle, from the nodes that carry both. */
function collectPhandles(n: DtNode, into: Map<string, number>): Map<string, number> {
  const ph = n.properties.find((p) => p.name === 'phandle');
  if (n.label && ph?.value.kind === 'cells') into.set(n.label, ph.value.groups[0][0] as number);
  for (const c of n.children) collectPhandles(c, into);
  return into;
}

// #region fdt-encode
/** The strings block (DTSpec 5.5): each property name once, NUL-terminated. */
class Strings {
  private text = '';
  /**
   * The offset of `name`, adding it if needed. Like dtc, a name that equals the tail of one
   * already present (e.g. "cells" in "#size-cells") shares its bytes, so a reader that
   * follows the offset to the NUL gets the right name either way.
   */
  add(name: string): number {
    for (let i = this.text.indexOf(name); i >= 0; i = this.text.indexOf(name, i + 1)) {
      if (this.text[i + name.length] === '\0') return i;
    }
    const at = this.text.length;
    this.text += `${name}\0`;
    return at;
  }
  bytes(): Uint8Array {
    return utf8.encode(this.text);
  }
}

/** Encodes a device tree as an FDT blob, version 17 (DTSpec 5). */
export function encodeFdt(tree: DeviceTree): Uint8Array {
  const phandles = collectPhandles(tree.root, new Map());
  const strings = new Strings();

  // Memory reservation block (DTSpec 5.3): (address, size) pairs of u64, then a zero pair.
  const rsv = new Writer();
  for (const r of tree.reservations) {
    rsv.u64(r.address);
    rsv.u64(r.size);
  }
  rsv.u64(0);
  rsv.u64(0);

  // Structure block (DTSpec 5.4.2): the nodes depth first, each property before its children.
  const st = new Writer();
  const emit = (n: DtNode) => {
    st.u32(FDT_BEGIN_NODE);
    st.bytes(utf8.encode(`${n.name}\0`)); // the root's name is empty
    st.pad4();
    for (const p of n.properties) {
      const value = encodeValue(p.value, phandles);
      st.u32(FDT_PROP);
      st.u32(value.length);
      st.u32(strings.add(p.name));
      st.bytes(value);
      st.pad4();
    }
    for (const c of n.children) emit(c);
    st.u32(FDT_END_NODE);
  };
  emit(tree.root);
  st.u32(FDT_END);

  const structBytes = st.take();
  const stringBytes = strings.bytes();
  // Block order and alignment (DTSpec 5.6): header, reservations (8-aligned), structure, strings.
  const offRsv = FDT_HEADER_SIZE;
  const offStruct = offRsv + rsv.length;
  const offStrings = offStruct + structBytes.length;
  const total = offStrings + stringBytes.length;
  const header: FdtHeader = {
    magic: FDT_MAGIC,
    totalsize: total,
    off_dt_struct: offStruct,
    off_dt_strings: offStrings,
    off_mem_rsvmap: offRsv,
    version: FDT_VERSION,
    last_comp_version: FDT_LAST_COMP_VERSION,
    boot_cpuid_phys: tree.bootCpuId,
    size_dt_strings: stringBytes.length,
    size_dt_struct: structBytes.length,
  };
  const out = new Writer();
  for (const v of Object.values(header)) out.u32(v);
  out.bytes(rsv.take());
  out.bytes(structBytes);
  out.bytes(stringBytes);
  return out.take();
}
// #endregion fdt-encode

/** A node as read back from a blob: property values stay bytes. */
export interface FdtNode {
  name: string;
  properties: { name: string; value: Uint8Array }[];
  children: FdtNode[];
}

/** Reads a blob back (version 16 or later), skipping FDT_NOP; rejects anything malformed. */
export function decodeFdt(blob: Uint8Array): { header: FdtHeader; reservations: { address: number; size: number }[]; root: FdtNode } {
  const fail = (why: string): never => {
    throw new Error(`bad FDT: ${why}`);
  };
  if (blob.length < FDT_HEADER_SIZE) fail('shorter than its header');
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const names = ['magic', 'totalsize', 'off_dt_struct', 'off_dt_strings', 'off_mem_rsvmap', 'version', 'last_comp_version', 'boot_cpuid_phys', 'size_dt_strings', 'size_dt_struct'] as const;
  const header = Object.fromEntries(names.map((n, i) => [n, view.getUint32(i * 4)])) as unknown as FdtHeader;
  if (header.magic !== FDT_MAGIC) fail(`magic 0x${header.magic.toString(16)}`);
  if (header.last_comp_version > FDT_VERSION || header.version < FDT_LAST_COMP_VERSION) fail(`version ${header.version}`);
  if (header.totalsize !== blob.length) fail(`totalsize ${header.totalsize} but ${blob.length} bytes`);
  if (header.off_dt_struct + header.size_dt_struct > blob.length || header.off_dt_strings + header.size_dt_strings > blob.length) fail('a block beyond totalsize');

  const reservations: { address: number; size: number }[] = [];
  for (let at = header.off_mem_rsvmap; ; at += 16) {
    if (at + 16 > blob.length) fail('unterminated memory reservation block');
    const address = view.getUint32(at) * 2 ** 32 + view.getUint32(at + 4);
    const size = view.getUint32(at + 8) * 2 ** 32 + view.getUint32(at + 12);
    if (address === 0 && size === 0) break;
    reservations.push({ address, size });
  }

  const text = new TextDecoder();
  const cstring = (from: number, end: number) => {
    const nul = blob.indexOf(0, from);
    if (nul < 0 || nul >= end) fail('unterminated string');
    return text.decode(blob.subarray(from, nul));
  };
  const structEnd = header.off_dt_struct + header.size_dt_struct;
  const stringsEnd = header.off_dt_strings + header.size_dt_strings;
  let at = header.off_dt_struct;
  const token = () => {
    if (at + 4 > structEnd) fail('structure block ends without FDT_END');
    const t = view.getUint32(at);
    at += 4;
    return t;
  };
  const stack: FdtNode[] = [];
  let root: FdtNode | undefined;
  for (;;) {
    const t = token();
    if (t === FDT_NOP) continue;
    if (t === FDT_BEGIN_NODE) {
      const name = cstring(at, structEnd);
      at = align4(at + utf8.encode(name).length + 1);
      const node: FdtNode = { name, properties: [], children: [] };
      if (stack.length > 0) stack[stack.length - 1].children.push(node);
      else if (root) fail('a second root node');
      else root = node;
      stack.push(node);
    } else if (t === FDT_PROP) {
      if (stack.length === 0) fail('a property outside any node');
      const len = token();
      const nameoff = token();
      if (at + len > structEnd) fail('a property value beyond the structure block');
      stack[stack.length - 1].properties.push({ name: cstring(header.off_dt_strings + nameoff, stringsEnd), value: blob.slice(at, at + len) });
      at = align4(at + len);
    } else if (t === FDT_END_NODE) {
      if (!stack.pop()) fail('FDT_END_NODE without a node');
    } else if (t === FDT_END) {
      if (stack.length > 0 || !root) fail('FDT_END inside a node');
      return { header, reservations, root: root! };
    } else fail(`unknown token 0x${t.toString(16)}`);
  }
}
