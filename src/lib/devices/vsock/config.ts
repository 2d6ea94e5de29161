// struct virtio_vsock_config (VIRTIO 1.4 §5.10.4): one le64, the guest's context ID (CID),
// and the CIDs no guest may have.

// #region config-layout
export const VSOCK_CFG_GUEST_CID = 0; // le64; the upper 32 bits are reserved and zero
export const VSOCK_CONFIG_SIZE = 8;

export const VMADDR_CID_HOST = 2n; // the host's well-known CID
/** CIDs that are never a guest's (§5.10.4). */
export const VSOCK_RESERVED_CIDS: readonly bigint[] = [0n, 1n, 2n, 0xffffffffn, 0xffffffffffffffffn];
// #endregion config-layout

/** Whether a value can be a guest's CID: 32 bits, and not reserved (§5.10.4, §5.10.6.4). */
export function isValidGuestCid(cid: bigint): boolean {
  return cid >= 0n && cid <= 0xffffffffn && !VSOCK_RESERVED_CIDS.includes(cid);
}

/** A CID given as a number or a bigint, as a bigint. */
export function toCid(cid: bigint | number): bigint {
  return typeof cid === 'bigint' ? cid : BigInt(cid);
}
