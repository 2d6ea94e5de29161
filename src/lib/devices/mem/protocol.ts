// The memory device's wire format, VIRTIO 1.4 §5.15 (device ID 24, "virtio-mem"): feature bits,
// struct virtio_mem_config, the 24-byte requests and 10-byte responses of the guest-request
// queue, with their type, response and state codes. Every field is little-endian.

export const VIRTIO_ID_MEM = 24;
/** §5.15.2: the one queue. */
export const MEM_GUEST_REQUEST_Q = 0;

// #region mem-features
/** §5.15.3: node_id is valid and names an ACPI proximity domain (PXM). */
export const VIRTIO_MEM_F_ACPI_PXM = 0;
/** §5.15.3: the driver does not read unplugged memory at all. */
export const VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE = 1;
/** §5.15.3: the guest may enter suspend-to-RAM with blocks plugged. */
export const VIRTIO_MEM_F_PERSISTENT_SUSPEND = 2;
// #endregion mem-features

// #region mem-config
/** struct virtio_mem_config (§5.15.4): every field read-only for the driver. */
export const MEM_CFG_BLOCK_SIZE = 0; //          le64 block_size          (a power of two; fixed)
export const MEM_CFG_NODE_ID = 8; //             le16 node_id             (with ACPI_PXM; fixed)
export const MEM_CFG_PADDING = 10; //            u8 padding[6]
export const MEM_CFG_ADDR = 16; //               le64 addr                (start of the region; fixed)
export const MEM_CFG_REGION_SIZE = 24; //        le64 region_size         (fixed)
export const MEM_CFG_USABLE_REGION_SIZE = 32; // le64 usable_region_size  (grows; shrinks only on UNPLUG_ALL)
export const MEM_CFG_PLUGGED_SIZE = 40; //       le64 plugged_size
export const MEM_CFG_REQUESTED_SIZE = 48; //     le64 requested_size      (what the device asks the driver to plug)
export const MEM_CONFIG_SIZE = 56;
// #endregion mem-config

// #region mem-requests
/** §5.15.6: every request is 24 bytes, every response 10. */
export const MEM_REQ_SIZE = 24; // le16 type, le16 padding[3], then le64 addr, le16 nb_blocks, le16 padding[3]
export const MEM_RESP_SIZE = 10; // le16 type, le16 padding[3], then le16 state (STATE only)

export const VIRTIO_MEM_REQ_PLUG = 0;
export const VIRTIO_MEM_REQ_UNPLUG = 1;
export const VIRTIO_MEM_REQ_UNPLUG_ALL = 2;
export const VIRTIO_MEM_REQ_STATE = 3;

export const VIRTIO_MEM_RESP_ACK = 0;
export const VIRTIO_MEM_RESP_NACK = 1;
export const VIRTIO_MEM_RESP_BUSY = 2;
export const VIRTIO_MEM_RESP_ERROR = 3;

export const VIRTIO_MEM_STATE_PLUGGED = 0;
export const VIRTIO_MEM_STATE_UNPLUGGED = 1;
export const VIRTIO_MEM_STATE_MIXED = 2;
// #endregion mem-requests

export const MEM_REQ_NAMES: ReadonlyMap<number, string> = new Map([
  [VIRTIO_MEM_REQ_PLUG, 'PLUG'],
  [VIRTIO_MEM_REQ_UNPLUG, 'UNPLUG'],
  [VIRTIO_MEM_REQ_UNPLUG_ALL, 'UNPLUG_ALL'],
  [VIRTIO_MEM_REQ_STATE, 'STATE'],
]);

export const MEM_RESP_NAMES: ReadonlyMap<number, string> = new Map([
  [VIRTIO_MEM_RESP_ACK, 'ACK'],
  [VIRTIO_MEM_RESP_NACK, 'NACK'],
  [VIRTIO_MEM_RESP_BUSY, 'BUSY'],
  [VIRTIO_MEM_RESP_ERROR, 'ERROR'],
]);

export const MEM_STATE_NAMES: ReadonlyMap<number, string> = new Map([
  [VIRTIO_MEM_STATE_PLUGGED, 'PLUGGED'],
  [VIRTIO_MEM_STATE_UNPLUGGED, 'UNPLUGGED'],
  [VIRTIO_MEM_STATE_MIXED, 'MIXED'],
]);

/** A request as a driver lays it out (padding zero unless a test says otherwise). */
export function encodeMemRequest(type: number, addr: bigint | number = 0n, nbBlocks = 0): Uint8Array {
  const b = new Uint8Array(MEM_REQ_SIZE);
  const v = new DataView(b.buffer);
  v.setUint16(0, type, true);
  v.setBigUint64(8, BigInt.asUintN(64, BigInt(addr)), true);
  v.setUint16(16, nbBlocks, true);
  return b;
}

export interface MemResponse {
  readonly type: number;
  /** The STATE response's state; meaningful only for an acknowledged STATE request. */
  readonly state: number;
}

export function decodeMemResponse(b: Uint8Array): MemResponse {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { type: b.length >= 2 ? v.getUint16(0, true) : -1, state: b.length >= 10 ? v.getUint16(8, true) : -1 };
}
