// What a CAN device counts, for the platform's diagnostics: VIRTIO gives the driver a result
// byte and a bus-off bit, and nothing else, so every other failure is visible only here.
import type { CanRxResult } from './bus.ts';
import type { CanTxRejectReason } from './tx.ts';

export type CanRxDropReason = Exclude<CanRxResult, 'delivered' | 'queued'>;

export const CAN_RX_DROP_REASONS: readonly CanRxDropReason[] = ['inactive', 'stopped', 'not-negotiated', 'overrun', 'queue-error'];

// #region stats
export interface CanDeviceStats {
  /** Transmit requests answered VIRTIO_CAN_RESULT_OK. */
  txAccepted: number;
  /** Frames of this device that went on the wire, and frames cancelled before they did. */
  txOnWire: number;
  txCancelled: number;
  /** Transmit requests answered VIRTIO_CAN_RESULT_NOT_OK, by reason. */
  readonly txRejected: Record<CanTxRejectReason, number>;
  lastTxReject: CanTxRejectReason | null;
  /** Transmit requests without a device-writable byte for the result: used length 0, nothing sent. */
  txUnanswerable: number;
  /** Frames from the bus that did not reach the driver, by reason. */
  readonly rxDropped: Record<CanRxDropReason, number>;
  ctrlOk: number;
  ctrlNotOk: number;
  ctrlUnanswerable: number;
  busOffEvents: number;
}
// #endregion stats

export function newCanStats(txReasons: readonly CanTxRejectReason[]): CanDeviceStats {
  return {
    txAccepted: 0,
    txOnWire: 0,
    txCancelled: 0,
    txRejected: Object.fromEntries(txReasons.map((r) => [r, 0])) as Record<CanTxRejectReason, number>,
    lastTxReject: null,
    txUnanswerable: 0,
    rxDropped: Object.fromEntries(CAN_RX_DROP_REASONS.map((r) => [r, 0])) as Record<CanRxDropReason, number>,
    ctrlOk: 0,
    ctrlNotOk: 0,
    ctrlUnanswerable: 0,
    busOffEvents: 0,
  };
}
