// What a network device is built with and what it counts: the options a platform sets, the
// reasons a packet is dropped, and the checks on the link fields.
import { VIRTIO_NET_DUPLEX_FULL, VIRTIO_NET_DUPLEX_HALF, VIRTIO_NET_DUPLEX_UNKNOWN, VIRTIO_NET_SPEED_UNKNOWN } from './config.ts';
import type { RxDropReason } from './backend.ts';
import type { DeviceBudgetOptions } from '../budget.ts';

/** Why the device dropped a packet the driver transmitted. */
export type TxDropReason =
  | 'short-header' // fewer bytes than struct virtio_net_hdr
  | 'gso-not-negotiated' // gso_type other than NONE: no segmentation offload is offered
  | 'csum-not-negotiated' // NEEDS_CSUM without VIRTIO_NET_F_CSUM
  | 'bad-csum-offsets' // csum_start / csum_offset point outside the frame
  | 'tunnel-csum-without-tunnel' // UDP_TUNNEL_CSUM without a tunnel gso_type (§5.1.9.2)
  | 'runt' // frame shorter than an Ethernet header
  | 'over-mtu' // frame longer than mtu plus the Ethernet header
  | 'link-down'
  | 'no-backend'
  | 'queue-inactive'; // a transmit queue above virtqueue_pairs (§5.1.9.5)

export interface NetStats {
  txPackets: number;
  txBytes: number;
  rxPackets: number;
  rxBytes: number;
  readonly txDrops: Record<TxDropReason, number>;
  readonly rxDrops: Record<RxDropReason, number>;
  /** Receive buffers returned unused because they could not hold even the header. */
  rxBadBuffers: number;
  ctrlOk: number;
  ctrlErr: number;
  /** Control requests with no device-writable byte for the ack, returned with length 0. */
  ctrlUnanswerable: number;
  /** Why the last control request was answered VIRTIO_NET_ERR. */
  lastCtrlError: string | null;
  /** Why the last transmitted packet was dropped. */
  lastTxDrop: TxDropReason | null;
}

export interface NetDeviceOptions {
  /** The platform-assigned address; when given the device offers VIRTIO_NET_F_MAC. */
  readonly mac?: Uint8Array | string;
  /** The link MTU (68..65535), offered with VIRTIO_NET_F_MTU; default 1500. */
  readonly mtu?: number;
  /** Queue pairs the device has (1..0x8000); above 1 it offers VIRTIO_NET_F_MQ. Default 1. */
  readonly maxQueuePairs?: number;
  /** Link state at start; default up. */
  readonly linkUp?: boolean;
  /** Mbit/s (0..0x7fffffff) or VIRTIO_NET_SPEED_UNKNOWN; default 1000. */
  readonly speed?: number;
  /** VIRTIO_NET_DUPLEX_*; default full. */
  readonly duplex?: number;
  /** Entries each MAC filter table keeps before it falls back to accepting the class; default 64. */
  readonly macTableSize?: number;
  /** The largest size a queue may have; default 256. */
  readonly maxQueueSize?: number;
  /** This guest's budget on its transmit queues (chapter Safety): default none. */
  readonly budget?: DeviceBudgetOptions | null;
}

export function zeroCounts<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

export function checkSpeedDuplex(speed: number, duplex: number): void {
  if (!Number.isInteger(speed) || speed < 0 || (speed > 0x7fffffff && speed !== VIRTIO_NET_SPEED_UNKNOWN)) {
    throw new RangeError(`speed ${speed}: 0..0x7fffffff Mbit/s or VIRTIO_NET_SPEED_UNKNOWN (§5.1.4)`);
  }
  if (duplex !== VIRTIO_NET_DUPLEX_FULL && duplex !== VIRTIO_NET_DUPLEX_HALF && duplex !== VIRTIO_NET_DUPLEX_UNKNOWN) {
    throw new RangeError(`duplex ${duplex}: 0x00, 0x01 or 0xff (§5.1.4)`);
  }
}
