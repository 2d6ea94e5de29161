// A device's configuration space (VIRTIO 1.4 §2.5): little-endian fields at fixed offsets
// that the driver reads through the transport. The device changes it only through update(),
// which moves the generation counter so a driver reading a multi-byte field across a change
// can notice and read again (§2.5.1).

// #region config-space
export class ConfigSpace {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private gen = 0;
  private onChange: (() => void) | null = null;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  get size(): number {
    return this.bytes.length;
  }

  /** The configuration generation counter (§2.5.1). */
  get generation(): number {
    return this.gen;
  }

  /** Reads `len` bytes at `offset`; bytes past the end read as zero, like a real register window. */
  read(offset: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) out[i] = offset + i < this.bytes.length ? this.bytes[offset + i] : 0;
    return out;
  }

  /** A change by the device: bumps the generation and raises a configuration change notification. */
  update(change: (c: ConfigSpace) => void): void {
    change(this);
    this.gen = (this.gen + 1) >>> 0;
    this.onChange?.();
  }

  /** The transport's hook for configuration change notifications. */
  setChangeListener(fn: (() => void) | null): void {
    this.onChange = fn;
  }
  // #endregion config-space

  u8(off: number): number {
    return this.view.getUint8(off);
  }
  u16(off: number): number {
    return this.view.getUint16(off, true);
  }
  u32(off: number): number {
    return this.view.getUint32(off, true);
  }
  u64(off: number): bigint {
    return this.view.getBigUint64(off, true);
  }
  setU8(off: number, v: number): void {
    this.view.setUint8(off, v);
  }
  setU16(off: number, v: number): void {
    this.view.setUint16(off, v, true);
  }
  setU32(off: number, v: number): void {
    this.view.setUint32(off, v, true);
  }
  setU64(off: number, v: bigint): void {
    this.view.setBigUint64(off, v, true);
  }
  setBytes(off: number, data: Uint8Array): void {
    this.bytes.set(data, off);
  }
}
