// Checking a transmit request (VIRTIO 1.4 §5.20.5.2) before anything reaches the bus. The
// driver is not trusted: every field is checked against the negotiated features and the
// limits of a real CAN wire, and a request that fails any check is answered
// VIRTIO_CAN_RESULT_NOT_OK. This file only decides; the device carries the decision out.
import { type Features, hasFeature } from '../../virtio/feature-bits.ts';
import { VIRTIO_CAN_F_CAN_CLASSIC, VIRTIO_CAN_F_CAN_FD, VIRTIO_CAN_F_RTR_FRAMES } from './features.ts';
import { type CanFrame, isLegalId, isLegalLength } from './frame.ts';
import {
  CAN_MSG_HEADER_SIZE,
  decodeCanHeader,
  VIRTIO_CAN_FLAGS_DEFINED,
  VIRTIO_CAN_FLAGS_EXTENDED,
  VIRTIO_CAN_FLAGS_FD,
  VIRTIO_CAN_FLAGS_RTR,
  VIRTIO_CAN_TX,
} from './message.ts';

/** Why a transmit request was answered VIRTIO_CAN_RESULT_NOT_OK. */
export type CanTxRejectReason =
  | 'short-buffer' // fewer device-readable bytes than the header, or than header + length
  | 'bad-msg-type' // msg_type other than VIRTIO_CAN_TX
  | 'undefined-flags' // a flag bit VIRTIO 1.4 does not define (treated as a type not negotiated)
  | 'classic-not-negotiated' // a classic frame without VIRTIO_CAN_F_CAN_CLASSIC
  | 'fd-not-negotiated' // VIRTIO_CAN_FLAGS_FD without VIRTIO_CAN_F_CAN_FD
  | 'rtr-not-negotiated' // VIRTIO_CAN_FLAGS_RTR without VIRTIO_CAN_F_RTR_FRAMES
  | 'rtr-with-fd' // a remote request marked CAN FD: no such frame exists
  | 'bad-length' // over 8 (classic), or not a CAN FD DLC length (FD)
  | 'bad-id' // can_id outside 11 bits (base) or 29 bits (extended)
  | 'stopped' // the controller is in the STOPPED state
  | 'bus-off' // the controller is stopped by a bus-off condition
  | 'not-owned' // the platform does not let this guest send that identifier
  | 'bus-refused'; // no bus, or the bus cannot carry the frame

export const CAN_TX_REJECT_REASONS: readonly CanTxRejectReason[] = [
  'short-buffer', 'bad-msg-type', 'undefined-flags', 'classic-not-negotiated', 'fd-not-negotiated', 'rtr-not-negotiated',
  'rtr-with-fd', 'bad-length', 'bad-id', 'stopped', 'bus-off', 'not-owned', 'bus-refused',
];

export type TxParse = { readonly ok: true; readonly frame: CanFrame } | { readonly ok: false; readonly reason: CanTxRejectReason };

/** The first `max` device-readable bytes of a chain: the device never copies more than a message can use (the core's reader). */
export { readChainPrefix as readPrefix } from '../../virtio/chain-io.ts';

// #region parse-tx
/**
 * Turns the device-readable bytes of a transmit request into a frame, or names the first
 * rule it breaks. Bytes past header + length are ignored; the reserved header fields
 * (reserved_classic_dlc, padding, reserved_xl_priority) are ignored and never forwarded.
 */
export function parseTxRequest(bytes: Uint8Array, features: Features): TxParse {
  const no = (reason: CanTxRejectReason): TxParse => ({ ok: false, reason });
  if (bytes.length < CAN_MSG_HEADER_SIZE) return no('short-buffer');
  const h = decodeCanHeader(bytes);
  if (h.msgType !== VIRTIO_CAN_TX) return no('bad-msg-type');
  // §5.20.5.2: an undefined flag bit makes the frame a type that was not negotiated.
  if ((h.flags & ~VIRTIO_CAN_FLAGS_DEFINED) !== 0) return no('undefined-flags');
  const extended = (h.flags & VIRTIO_CAN_FLAGS_EXTENDED) !== 0;
  const fd = (h.flags & VIRTIO_CAN_FLAGS_FD) !== 0;
  const rtr = (h.flags & VIRTIO_CAN_FLAGS_RTR) !== 0;
  // §5.20.5.2: a frame type whose feature was not negotiated is rejected.
  if (fd && !hasFeature(features, VIRTIO_CAN_F_CAN_FD)) return no('fd-not-negotiated');
  if (!fd && !hasFeature(features, VIRTIO_CAN_F_CAN_CLASSIC)) return no('classic-not-negotiated');
  if (rtr && !hasFeature(features, VIRTIO_CAN_F_RTR_FRAMES)) return no('rtr-not-negotiated');
  if (rtr && fd) return no('rtr-with-fd'); // §5.20.3: remote requests exist in classic CAN only
  // §5.20.5.2: sdu length and can_id out of range are rejected. The three top bits of
  // can_id are 0 (§5.20.5.2), which both ranges below imply.
  if (!isLegalLength(h.length, fd)) return no('bad-length');
  if (!isLegalId(h.canId, extended)) return no('bad-id');
  // A remote request carries no data; any sdu bytes the driver sent with it are ignored.
  const sdu = rtr ? 0 : h.length;
  if (bytes.length < CAN_MSG_HEADER_SIZE + sdu) return no('short-buffer');
  const data = bytes.slice(CAN_MSG_HEADER_SIZE, CAN_MSG_HEADER_SIZE + sdu);
  return { ok: true, frame: { id: h.canId, extended, fd, rtr, length: h.length, data } };
}
// #endregion parse-tx
