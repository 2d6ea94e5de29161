// A CAN frame as it travels on the virtual bus, independent of any guest's message layout:
// its identifier (11-bit base or 29-bit extended, ISO 11898-1), its kind (classic data, CAN FD
// data, or classic remote request) and its payload. Also the rules a frame obeys on a real
// wire (legal lengths, identifier ranges), the bits it occupies there, and a compact text form.

// #region can-frame
export interface CanFrame {
  /** The identifier: 0..0x7ff for a base frame, 0..0x1fffffff for an extended one. */
  readonly id: number;
  readonly extended: boolean;
  /** A CAN FD frame (FDF set on the wire). */
  readonly fd: boolean;
  /** A remote transmission request: a classic frame with no data field. */
  readonly rtr: boolean;
  /** Data length in bytes; for a remote request, the length it asks for. */
  readonly length: number;
  /** The payload: `length` bytes, or empty for a remote request. */
  readonly data: Uint8Array;
}
// #endregion can-frame

export const CAN_SFF_MAX_ID = 0x7ff; //      11-bit base format
export const CAN_EFF_MAX_ID = 0x1fffffff; // 29-bit extended format
export const CAN_MAX_CLASSIC_LENGTH = 8;
export const CAN_MAX_FD_LENGTH = 64;

// #region fd-lengths
/**
 * The data lengths a CAN FD frame can have: its 4-bit DLC encodes 0..8 directly and then
 * 12, 16, 20, 24, 32, 48, 64. Any other length cannot be put on the wire as it is.
 */
export const CAN_FD_LENGTHS: readonly number[] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64];

export function isLegalLength(length: number, fd: boolean): boolean {
  return fd ? CAN_FD_LENGTHS.includes(length) : Number.isInteger(length) && length >= 0 && length <= CAN_MAX_CLASSIC_LENGTH;
}

export function isLegalId(id: number, extended: boolean): boolean {
  return Number.isInteger(id) && id >= 0 && id <= (extended ? CAN_EFF_MAX_ID : CAN_SFF_MAX_ID);
}
// #endregion fd-lengths

/** Why a frame cannot exist on a CAN bus, or null if it can. */
export function frameError(f: CanFrame): string | null {
  if (!isLegalId(f.id, f.extended)) return `identifier 0x${f.id.toString(16)} outside the ${f.extended ? '29' : '11'}-bit range`;
  if (f.rtr && f.fd) return 'a remote request cannot be a CAN FD frame';
  if (!isLegalLength(f.length, f.fd)) return `length ${f.length} is not a legal ${f.fd ? 'CAN FD' : 'classic'} length`;
  if (f.data.length !== (f.rtr ? 0 : f.length)) return `data has ${f.data.length} bytes, length says ${f.length}`;
  return null;
}

export interface CanFrameInit {
  readonly id: number;
  readonly extended?: boolean;
  readonly fd?: boolean;
  readonly rtr?: boolean;
  /** The payload (copied); ignored for a remote request. */
  readonly data?: Uint8Array | readonly number[];
  /** For a remote request: the length asked for; otherwise taken from `data`. */
  readonly length?: number;
}

/** Builds a frame and checks it; throws RangeError for one no bus could carry (a host-side mistake). */
export function canFrame(init: CanFrameInit): CanFrame {
  const rtr = init.rtr ?? false;
  const data = rtr ? new Uint8Array(0) : Uint8Array.from(init.data ?? []);
  const f: CanFrame = { id: init.id, extended: init.extended ?? false, fd: init.fd ?? false, rtr, length: rtr ? (init.length ?? 0) : data.length, data };
  const err = frameError(f);
  if (err) throw new RangeError(`CAN frame: ${err}`);
  return f;
}

export function sameFrame(a: CanFrame, b: CanFrame): boolean {
  return a.id === b.id && a.extended === b.extended && a.fd === b.fd && a.rtr === b.rtr && a.length === b.length &&
    a.data.length === b.data.length && a.data.every((x, i) => x === b.data[i]);
}

// #region frame-bits
/**
 * Bits a frame occupies on the wire, stuff bits not counted (so a lower bound), split into
 * what is sent at the nominal bit rate and what a CAN FD frame with bit-rate switching sends
 * at the data-phase rate. Interframe space (3 bits) included.
 */
export function frameBits(f: CanFrame, brs: boolean): { nominal: number; data: number } {
  const payload = f.rtr ? 0 : 8 * f.length;
  if (!f.fd) {
    // SOF, identifier(s), RTR/SRR/IDE/r bits, DLC | CRC 15 + delimiter, ACK 2, EOF 7 | IFS 3
    const head = f.extended ? 39 : 19;
    return { nominal: head + payload + 25 + 3, data: 0 };
  }
  // Arbitration up to BRS | ESI, DLC, data, stuff count 4, CRC 17 or 21 | delimiter, ACK, EOF, IFS
  const arb = f.extended ? 36 : 17;
  const dataPhase = 1 + 4 + payload + 4 + (f.length > 16 ? 21 : 17);
  const tail = 1 + 2 + 7 + 3;
  return brs ? { nominal: arb + tail, data: dataPhase } : { nominal: arb + dataPhase + tail, data: 0 };
}
// #endregion frame-bits

// #region arbitration
/**
 * The frame's place in bitwise arbitration: a smaller key wins the bus. A base identifier
 * beats an extended one with the same top 11 bits (its IDE bit is dominant), and a data
 * frame beats a remote request with the same identifier (its RTR bit is dominant).
 */
export function arbitrationKey(f: CanFrame): number {
  const base = f.extended ? f.id >>> 18 : f.id;
  const ext = f.extended ? f.id & 0x3ffff : 0;
  const rtr = f.rtr ? 1 : 0;
  // base(11) | RTR-or-SRR(1) | IDE(1) | extension(18) | RTR of an extended frame(1)
  const srrOrRtr = f.extended ? 1 : rtr;
  return ((base * 2 + srrOrRtr) * 2 + (f.extended ? 1 : 0)) * 2 ** 19 + ext * 2 + (f.extended ? rtr : 0);
}
// #endregion arbitration

const hex = (n: number, w: number) => n.toString(16).toUpperCase().padStart(w, '0');

/**
 * The compact form candump and cansend use: `123#11223344` (base), `12345678#…` (extended),
 * `123##0…` (CAN FD, flags nibble 0), `123#R4` (remote request for 4 bytes).
 */
export function formatCanFrame(f: CanFrame): string {
  const id = f.extended ? hex(f.id, 8) : hex(f.id, 3);
  const data = [...f.data].map((b) => hex(b, 2)).join('');
  if (f.rtr) return `${id}#R${f.length}`;
  return f.fd ? `${id}##0${data}` : `${id}#${data}`;
}
