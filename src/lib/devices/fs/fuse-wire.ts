// Byte order of a FUSE session. FUSE messages are native C structs, so their byte order is
// the driver's: the device learns it from the opcode of FUSE_INIT (§5.11.6.1) and uses it for
// every header and struct until the next FUSE_INIT. Names and file data are bytes and have no
// byte order. Every fuse-*.ts codec reads and writes through these two classes.

export type FuseEndian = 'little' | 'big';

export class FuseReader {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private readonly le: boolean;

  constructor(bytes: Uint8Array, endian: FuseEndian) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.le = endian === 'little';
  }

  u16(off: number): number {
    return this.view.getUint16(off, this.le);
  }
  u32(off: number): number {
    return this.view.getUint32(off, this.le);
  }
  i32(off: number): number {
    return this.view.getInt32(off, this.le);
  }
  u64(off: number): bigint {
    return this.view.getBigUint64(off, this.le);
  }
  i64(off: number): bigint {
    return this.view.getBigInt64(off, this.le);
  }
}

export class FuseWriter {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private readonly le: boolean;

  constructor(size: number, endian: FuseEndian) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
    this.le = endian === 'little';
  }

  u16(off: number, v: number): this {
    this.view.setUint16(off, v, this.le);
    return this;
  }
  u32(off: number, v: number): this {
    this.view.setUint32(off, v >>> 0, this.le);
    return this;
  }
  i32(off: number, v: number): this {
    this.view.setInt32(off, v | 0, this.le);
    return this;
  }
  u64(off: number, v: bigint | number): this {
    this.view.setBigUint64(off, BigInt.asUintN(64, BigInt(v)), this.le);
    return this;
  }
  i64(off: number, v: bigint | number): this {
    this.view.setBigInt64(off, BigInt.asIntN(64, BigInt(v)), this.le);
    return this;
  }
  set(off: number, data: Uint8Array): this {
    this.bytes.set(data, off);
    return this;
  }
}
