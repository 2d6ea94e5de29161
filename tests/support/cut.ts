// Splits a byte string into parts at fractional cut points, so property tests can offer the
// same request as one buffer or as many (a driver may split a request anywhere, §2.7.4).
export function cut(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => Math.floor(c * bytes.length)))].sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const p of [...points, bytes.length]) {
    if (p > at) parts.push(bytes.subarray(at, p));
    at = Math.max(at, p);
  }
  return parts;
}
