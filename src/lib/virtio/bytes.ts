// Small byte-array helpers that drivers, device models and tests all need.

/** The parts joined end to end, in a new array. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The unsigned little-endian value of up to 6 bytes, as a register access returns it. */
export function leValue(bytes: Uint8Array): number {
  let v = 0;
  for (let i = bytes.length - 1; i >= 0; i--) v = v * 256 + bytes[i];
  return v;
}

/** The low `width` bytes of an unsigned 32-bit value, little-endian, as a register write carries them. */
export function leBytes(value: number, width: number): Uint8Array {
  const out = new Uint8Array(width);
  for (let i = 0; i < width; i++) out[i] = (value >>> (8 * i)) & 0xff;
  return out;
}
