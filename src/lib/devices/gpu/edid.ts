// The EDID a scanout reports (VIRTIO_GPU_CMD_GET_EDID, §5.7.6.8): one 128-byte base block in
// the VESA E-EDID 1.4 layout describing the panel area the platform gives that scanout. A
// guest's display stack parses it like a real monitor's, so it must be well formed: the fixed
// header, a preferred detailed timing that matches the size GET_DISPLAY_INFO reports, a
// monitor name, and a checksum byte that makes the 128 bytes sum to 0 modulo 256.

export const EDID_BLOCK_SIZE = 128;

export interface EdidMode {
  readonly width: number;
  readonly height: number;
  /** Refresh rate in Hz; default 60. */
  readonly refreshHz?: number;
  /** Physical size of the area in millimetres; default 96 dpi. */
  readonly widthMm?: number;
  readonly heightMm?: number;
  /** Up to 13 ASCII characters. */
  readonly name?: string;
  /** Three upper-case letters, the PNP manufacturer ID; default "AVP". */
  readonly manufacturer?: string;
  readonly productCode?: number;
  readonly serial?: number;
}

// #region edid-block
/** A base EDID block for one scanout. Throws RangeError for a mode EDID cannot describe. */
export function buildEdid(m: EdidMode): Uint8Array {
  const e = new Uint8Array(EDID_BLOCK_SIZE);
  if (!(m.width >= 1 && m.width <= 4095 && m.height >= 1 && m.height <= 4095)) throw new RangeError('EDID: width and height must be 1..4095');
  e.set([0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00], 0); // fixed header pattern
  const mfr = (m.manufacturer ?? 'AVP').toUpperCase();
  if (!/^[A-Z]{3}$/.test(mfr)) throw new RangeError('EDID: manufacturer must be three letters');
  const id = ((mfr.charCodeAt(0) - 64) << 10) | ((mfr.charCodeAt(1) - 64) << 5) | (mfr.charCodeAt(2) - 64);
  e[8] = id >> 8; // the manufacturer ID is the one big-endian field
  e[9] = id & 0xff;
  le16(e, 10, m.productCode ?? 0x0001);
  le32(e, 12, m.serial ?? 0);
  e[16] = 1; //          week of manufacture
  e[17] = 2026 - 1990; // year of manufacture
  e[18] = 1; //          EDID version 1 …
  e[19] = 4; //          … revision 4
  e[20] = 0x80 | 0x20; // digital input, 8 bits per colour
  const wMm = m.widthMm ?? Math.round((m.width * 25.4) / 96);
  const hMm = m.heightMm ?? Math.round((m.height * 25.4) / 96);
  e[21] = Math.max(1, Math.round(wMm / 10)); // screen size in cm
  e[22] = Math.max(1, Math.round(hMm / 10));
  e[23] = 120; // gamma 2.2, stored as gamma × 100 − 100
  e[24] = 0x06; // sRGB default colour space; the preferred timing is the native mode
  e.set([0xee, 0x91, 0xa3, 0x54, 0x4c, 0x99, 0x26, 0x0f, 0x50, 0x54], 25); // sRGB primaries and white point
  // 35..37 established timings: none. 38..53 standard timings: all unused (0x01 0x01).
  for (let i = 38; i < 54; i++) e[i] = 0x01;
  e.set(detailedTiming(m, wMm, hMm), 54);
  e.set(textDescriptor(0xfc, (m.name ?? 'AVP PANEL').slice(0, 13)), 72); // monitor name
  const hz = m.refreshHz ?? 60;
  e.set([0, 0, 0, 0xfd, 0, hz, hz, 1, 255, 0xff, 0x01, 0x0a, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20], 90); // range limits
  e.set([0, 0, 0, 0x10, 0], 108); // dummy descriptor, 13 zero bytes follow
  e[126] = 0; // no extension blocks
  e[127] = (256 - (e.subarray(0, 127).reduce((s, b) => s + b, 0) % 256)) % 256;
  return e;
}
// #endregion edid-block

/** 18-byte detailed timing descriptor with reduced-blanking-like porches. */
function detailedTiming(m: EdidMode, wMm: number, hMm: number): Uint8Array {
  const d = new Uint8Array(18);
  const hBlank = 160, hFront = 48, hSync = 32, vBlank = 23, vFront = 3, vSync = 5;
  const clock = Math.round(((m.width + hBlank) * (m.height + vBlank) * (m.refreshHz ?? 60)) / 10_000); // 10 kHz units
  if (clock < 1 || clock > 0xffff) throw new RangeError('EDID: pixel clock out of range');
  le16(d, 0, clock);
  d[2] = m.width & 0xff;
  d[3] = hBlank & 0xff;
  d[4] = ((m.width >> 8) << 4) | (hBlank >> 8);
  d[5] = m.height & 0xff;
  d[6] = vBlank & 0xff;
  d[7] = ((m.height >> 8) << 4) | (vBlank >> 8);
  d[8] = hFront & 0xff;
  d[9] = hSync & 0xff;
  d[10] = ((vFront & 0xf) << 4) | (vSync & 0xf);
  d[11] = ((hFront >> 8) << 6) | ((hSync >> 8) << 4) | ((vFront >> 4) << 2) | (vSync >> 4);
  d[12] = wMm & 0xff;
  d[13] = hMm & 0xff;
  d[14] = (((wMm >> 8) & 0xf) << 4) | ((hMm >> 8) & 0xf);
  d[17] = 0x1e; // digital separate sync, both polarities positive
  return d;
}

function textDescriptor(tag: number, text: string): Uint8Array {
  const d = new Uint8Array(18);
  d[3] = tag;
  const chars = [...text].map((c) => c.charCodeAt(0) & 0x7f);
  if (chars.length < 13) chars.push(0x0a);
  while (chars.length < 13) chars.push(0x20);
  d.set(chars, 5);
  return d;
}

function le16(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >> 8) & 0xff;
}

function le32(b: Uint8Array, at: number, v: number): void {
  le16(b, at, v & 0xffff);
  le16(b, at + 2, (v >>> 16) & 0xffff);
}

/** What a guest would read back from a block: enough to check one in a test. */
export function parseEdid(e: Uint8Array): { valid: boolean; width: number; height: number; name: string; manufacturer: string } {
  const header = [0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00].every((x, i) => e[i] === x);
  const sum = e.subarray(0, EDID_BLOCK_SIZE).reduce((s, b) => s + b, 0) % 256;
  const width = e[56] | ((e[58] >> 4) << 8);
  const height = e[59] | ((e[61] >> 4) << 8);
  const id = (e[8] << 8) | e[9];
  const manufacturer = String.fromCharCode(64 + ((id >> 10) & 31), 64 + ((id >> 5) & 31), 64 + (id & 31));
  let name = '';
  for (let at = 54; at < 126; at += 18) {
    if (e[at] === 0 && e[at + 1] === 0 && e[at + 3] === 0xfc) name = String.fromCharCode(...e.subarray(at + 5, at + 18)).split('\n')[0].trimEnd();
  }
  return { valid: e.length >= EDID_BLOCK_SIZE && header && sum === 0, width, height, name, manufacturer };
}
