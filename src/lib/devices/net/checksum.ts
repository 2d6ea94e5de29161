// The Internet checksum (16-bit ones' complement sum, RFC 1071) and the transmit checksum
// offload of VIRTIO_NET_F_CSUM (§5.1.9.2): the driver leaves the pseudo-header sum in the
// checksum field and names where summing starts (csum_start) and where the result goes
// (csum_offset after csum_start); the device finishes the job before the frame leaves.

/** Ones' complement sum of `data` (big-endian 16-bit words, odd byte padded), folded to 16 bits. */
export function onesComplementSum(data: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i + 1 < data.length; i += 2) sum += (data[i] << 8) | data[i + 1];
  if (data.length % 2 === 1) sum += data[data.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

// #region complete-checksum
/**
 * Writes the checksum of frame[start..] at start + offset, in place. Returns false (and
 * leaves the frame alone) when the field does not lie inside the frame: the header is the
 * driver's word and is never trusted.
 */
export function completeChecksum(frame: Uint8Array, start: number, offset: number): boolean {
  if (start >= frame.length || start + offset + 2 > frame.length) return false;
  const sum = onesComplementSum(frame.subarray(start));
  // A result of 0 is sent as 0xffff, its other ones' complement form: for UDP a zero
  // checksum would mean "no checksum" (RFC 768), and both forms verify the same for TCP.
  const folded = ~sum & 0xffff || 0xffff;
  frame[start + offset] = folded >> 8;
  frame[start + offset + 1] = folded & 0xff;
  return true;
}
// #endregion complete-checksum

/** True if `segment` (with its checksum in place, and `initial` the pseudo-header sum) verifies. */
export function checksumVerifies(segment: Uint8Array, initial = 0): boolean {
  return onesComplementSum(segment, initial) === 0xffff;
}
