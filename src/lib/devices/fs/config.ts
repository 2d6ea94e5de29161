// The file system device's configuration space, struct virtio_fs_config (VIRTIO 1.4 §5.11.4):
// a 36-byte tag naming the file system, the number of request queues, and the size of a
// notification buffer. The driver may not write any of it (§5.11.4.1).

// #region config-layout
export const FS_CFG_TAG = 0; //                 u8[36] UTF-8, NUL-padded, not NUL-terminated when full
export const FS_TAG_BYTES = 36;
export const FS_CFG_NUM_REQUEST_QUEUES = 36; // le32   at least 1 (§5.11.4.2)
export const FS_CFG_NOTIFY_BUF_SIZE = 40; //    le32   valid with VIRTIO_FS_F_NOTIFICATION only
export const FS_CONFIG_SIZE = 44;
// #endregion config-layout

// #region tag
/**
 * The tag as the 36 bytes the configuration space holds. A tag the driver could not use as a
 * mount source (empty, over 36 bytes once encoded, or containing NUL, which would cut it
 * short) is refused here, when the host configures the device, not discovered by the guest.
 */
export function encodeTag(tag: string): Uint8Array {
  const bytes = new TextEncoder().encode(tag);
  if (bytes.length === 0) throw new RangeError('tag: must not be empty');
  if (bytes.length > FS_TAG_BYTES) throw new RangeError(`tag "${tag}": ${bytes.length} bytes in UTF-8, at most ${FS_TAG_BYTES}`);
  if (bytes.includes(0)) throw new RangeError('tag: must not contain NUL');
  const out = new Uint8Array(FS_TAG_BYTES); // the rest stays NUL padding
  out.set(bytes);
  return out;
}

/** The tag a driver reads: the bytes up to the first NUL, or all 36 if there is none. */
export function decodeTag(field: Uint8Array): string {
  const end = field.indexOf(0);
  return new TextDecoder().decode(field.subarray(0, end < 0 ? Math.min(field.length, FS_TAG_BYTES) : end));
}
// #endregion tag
