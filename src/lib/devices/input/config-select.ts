// The answers of the configuration window (VIRTIO 1.4 §5.8.4, §5.8.5.2): for each select and
// subsel, the bytes the device puts in `u` and so the `size` it reports. Anything the device
// does not support, including a nonzero subsel where only 0 has a meaning, answers with no
// bytes, which the driver reads as size 0.
import { EV_SYN } from './codes.ts';
import {
  encodeAbsInfo,
  encodeDevIds,
  INPUT_CFG_UNION_SIZE,
  VIRTIO_INPUT_CFG_ABS_INFO,
  VIRTIO_INPUT_CFG_EV_BITS,
  VIRTIO_INPUT_CFG_ID_DEVIDS,
  VIRTIO_INPUT_CFG_ID_NAME,
  VIRTIO_INPUT_CFG_ID_SERIAL,
  VIRTIO_INPUT_CFG_PROP_BITS,
} from './config.ts';
import type { InputProfile } from './profile.ts';

/**
 * A bitmap with bit `c` set for every code, cut after its last nonzero byte: evdev sizes its
 * bitmaps by the highest code, so trailing zero bytes say nothing, and an empty set is size 0.
 */
export function codeBitmap(codes: readonly number[]): Uint8Array {
  const full = new Uint8Array(INPUT_CFG_UNION_SIZE);
  for (const c of codes) full[c >> 3] |= 1 << (c & 7);
  let n = full.length;
  while (n > 0 && full[n - 1] === 0) n--;
  return full.slice(0, n);
}

// #region config-select
/** The bytes of `u` for a select/subsel pair; their length is the `size` the driver reads. */
export function configAnswer(p: InputProfile, select: number, subsel: number): Uint8Array {
  const none = new Uint8Array(0);
  switch (select) {
    case VIRTIO_INPUT_CFG_ID_NAME:
      return subsel === 0 ? new TextEncoder().encode(p.name) : none; // no NUL terminator
    case VIRTIO_INPUT_CFG_ID_SERIAL:
      return subsel === 0 ? new TextEncoder().encode(p.serial) : none;
    case VIRTIO_INPUT_CFG_ID_DEVIDS:
      return subsel === 0 ? encodeDevIds(p.ids) : none;
    case VIRTIO_INPUT_CFG_PROP_BITS:
      return subsel === 0 ? codeBitmap(p.props) : none;
    case VIRTIO_INPUT_CFG_EV_BITS:
      // subsel is an event type; EV_SYN framing is implied, never advertised.
      return subsel === EV_SYN ? none : codeBitmap(p.events.get(subsel) ?? []);
    case VIRTIO_INPUT_CFG_ABS_INFO: {
      const a = p.abs.get(subsel); // subsel is an axis
      return a ? encodeAbsInfo(a) : none;
    }
    default: // VIRTIO_INPUT_CFG_UNSET and every value VIRTIO does not define
      return none;
  }
}
// #endregion config-select
