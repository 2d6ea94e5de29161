// A TOY video codec for the decoder model: NOT a real format, and not registered with V4L2.
// Real decoders take H.264, HEVC, VP9 or AV1; the device model needs a bitstream it can check
// and decode in a few lines, so that the V4L2 memory-to-memory flow around it (OUTPUT buffers
// in, CAPTURE frames out, errors, timestamps) is what the tests exercise. One frame is a
// 12-byte header, 'ARLE', le16 width, le16 height, le32 run count, then that many runs of
// (u8 length 1..255, u8 r, u8 g, u8 b) covering width x height RGB24 pixels exactly.

export const TOY_MAGIC = 'ARLE';
export const TOY_HEADER_SIZE = 12;
export const TOY_MAX_DIM = 1024;

// #region toy-decode
export type ToyDecode =
  | { readonly ok: true; readonly width: number; readonly height: number; readonly rgb: Uint8Array }
  | { readonly ok: false; readonly why: string };

/** Reads the header only: the resolution a decoder reports before it has CAPTURE buffers. */
export function toyHeader(b: Uint8Array): { width: number; height: number } | null {
  if (b.length < TOY_HEADER_SIZE || new TextDecoder().decode(b.subarray(0, 4)) !== TOY_MAGIC) return null;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const width = v.getUint16(4, true);
  const height = v.getUint16(6, true);
  if (width === 0 || height === 0 || width > TOY_MAX_DIM || height > TOY_MAX_DIM) return null;
  return { width, height };
}

/** Decodes one frame; anything malformed is refused with a reason, never half-decoded. */
export function toyDecode(b: Uint8Array): ToyDecode {
  const h = toyHeader(b);
  if (!h) return { ok: false, why: 'bad header' };
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const runs = v.getUint32(8, true);
  if (b.length !== TOY_HEADER_SIZE + runs * 4) return { ok: false, why: 'length does not match the run count' };
  const rgb = new Uint8Array(h.width * h.height * 3);
  let px = 0;
  for (let i = 0; i < runs; i++) {
    const at = TOY_HEADER_SIZE + 4 * i;
    const n = b[at];
    if (n === 0) return { ok: false, why: 'empty run' };
    if (px + n > h.width * h.height) return { ok: false, why: 'runs overflow the frame' };
    for (let k = 0; k < n; k++, px++) rgb.set(b.subarray(at + 1, at + 4), px * 3);
  }
  if (px !== h.width * h.height) return { ok: false, why: 'runs do not fill the frame' };
  return { ok: true, width: h.width, height: h.height, rgb };
}
// #endregion toy-decode

/** Encodes an RGB24 frame (used by tests and examples to make bitstreams). */
export function toyEncode(width: number, height: number, rgb: Uint8Array): Uint8Array {
  const runs: number[][] = [];
  for (let px = 0; px < width * height; ) {
    const c = rgb.subarray(px * 3, px * 3 + 3);
    let n = 1;
    while (n < 255 && px + n < width * height && rgb[(px + n) * 3] === c[0] && rgb[(px + n) * 3 + 1] === c[1] && rgb[(px + n) * 3 + 2] === c[2]) n++;
    runs.push([n, c[0], c[1], c[2]]);
    px += n;
  }
  const out = new Uint8Array(TOY_HEADER_SIZE + runs.length * 4);
  const v = new DataView(out.buffer);
  out.set(new TextEncoder().encode(TOY_MAGIC), 0);
  v.setUint16(4, width, true);
  v.setUint16(6, height, true);
  v.setUint32(8, runs.length, true);
  runs.forEach((r, i) => out.set(r, TOY_HEADER_SIZE + 4 * i));
  return out;
}
