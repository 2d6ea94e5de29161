// Simulated I2C targets for the bus model: a temperature sensor and an EEPROM, each behaving as
// the parts it is modelled on do on the wire (register pointer, auto-increment, a write cycle
// during which the part does not acknowledge). A target answers one segment at a time; the bus
// tells it where a transaction ends (STOP), which is when an EEPROM commits a page write. Times
// are model time in µs; null on a bus without a clock, where nothing takes time.
// #region target-interface
/** A part on the bus, as the bus drives it. */
export interface I2cTarget {
  /** Its address phase at model time `at`: false is a NACK (the part is busy). */
  ack(read: boolean, at: number | null): boolean;
  /** A write segment's data bytes; false if the part refuses a byte (NACK). */
  write(data: Uint8Array): boolean;
  /** A read segment: the bytes the part shifts out. */
  read(len: number): Uint8Array;
  /** STOP at model time `at`: the transaction is over. */
  stop(at: number | null): void;
}
// #endregion target-interface

// #region tmp102
/**
 * A TMP102-style sensor: a pointer register selects one of four 16-bit registers, read MSB
 * first; the temperature is 12 bits of 0.0625 °C, left-justified. Writing one byte sets the
 * pointer; writing three also writes the selected register (the temperature is read-only).
 */
export class TemperatureSensor implements I2cTarget {
  /** Degrees Celsius, as the vehicle side sets it. */
  celsius: number;
  private pointer = 0;
  private readonly regs = [0, 0x60a0, 0x4b00, 0x5000]; // temperature, configuration, T_LOW, T_HIGH
  /** Register reads and STOPs seen, for tests that check who touched the part and how. */
  reads = 0;
  stops = 0;

  constructor(celsius = 25) {
    this.celsius = celsius;
  }

  static encode(celsius: number): number {
    return (Math.round(celsius / 0.0625) & 0xfff) << 4;
  }

  static decode(word: number): number {
    const raw = (word >> 4) & 0xfff;
    return (raw & 0x800 ? raw - 0x1000 : raw) * 0.0625;
  }

  get pointerRegister(): number {
    return this.pointer;
  }

  ack(): boolean {
    return true;
  }

  write(data: Uint8Array): boolean {
    if (data.length === 0) return true;
    if (data[0] > 3) return false; // no such register: the part NACKs the pointer byte
    this.pointer = data[0];
    if (data.length >= 3 && this.pointer !== 0) this.regs[this.pointer] = (data[1] << 8) | data[2];
    return true;
  }

  read(len: number): Uint8Array {
    this.reads++;
    const word = this.pointer === 0 ? TemperatureSensor.encode(this.celsius) : this.regs[this.pointer];
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) out[i] = i % 2 === 0 ? word >> 8 : word & 0xff;
    return out;
  }

  stop(): void {
    this.stops++;
  }
}
// #endregion tmp102

// #region eeprom
/**
 * A 24C02-style EEPROM: 256 bytes, 8-byte pages. A write segment is a word address then data,
 * which wraps within its page and is committed at STOP; the part then takes `writeCycleUs` of
 * model time to program and does not acknowledge its address meanwhile (drivers poll for the
 * ACK). A read continues from the word address, wrapping at the end of the array.
 */
export class Eeprom implements I2cTarget {
  readonly bytes = new Uint8Array(256);
  readonly pageSize = 8;
  readonly writeCycleUs: number;
  private pointer = 0;
  private pending: { at: number; data: Uint8Array } | null = null;
  private busyUntil = -Infinity;

  constructor(opts: { writeCycleUs?: number } = {}) {
    this.writeCycleUs = opts.writeCycleUs ?? 5_000;
  }

  ack(_read: boolean, at: number | null): boolean {
    return at === null || at >= this.busyUntil;
  }

  write(data: Uint8Array): boolean {
    if (data.length === 0) return true;
    this.pointer = data[0];
    if (data.length > 1) this.pending = { at: data[0], data: data.slice(1) };
    return true;
  }

  read(len: number): Uint8Array {
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) {
      out[i] = this.bytes[this.pointer];
      this.pointer = (this.pointer + 1) & 0xff;
    }
    return out;
  }

  stop(now: number | null): void {
    if (!this.pending) return;
    const { at, data } = this.pending;
    const page = at & ~(this.pageSize - 1);
    data.forEach((b, i) => (this.bytes[page + ((at + i) % this.pageSize)] = b));
    this.pointer = page + ((at + data.length) % this.pageSize);
    this.pending = null;
    if (now !== null) this.busyUntil = now + this.writeCycleUs;
  }
}
// #endregion eeprom
