// What the device side hands to a device model once a chain has been walked and validated:
// a list of guest buffers, device-readable ones first (VIRTIO 1.4 §2.7.4, §2.8.5).

// #region chain
export interface ChainBuffer {
  /** Guest physical address; always inside guest memory once validated. */
  readonly addr: number;
  readonly len: number;
  /** True if the device may write it (VIRTQ_DESC_F_WRITE). */
  readonly writable: boolean;
}

export interface DescriptorChain {
  /**
   * The token the device returns in the used ring: the head descriptor index for a split
   * ring, the buffer ID for a packed ring.
   */
  readonly id: number;
  /** How many ring descriptors the chain took (an indirect table counts as one). */
  readonly descCount: number;
  readonly buffers: readonly ChainBuffer[];
}
// #endregion chain

export function readableBuffers(chain: DescriptorChain): ChainBuffer[] {
  return chain.buffers.filter((b) => !b.writable);
}

export function writableBuffers(chain: DescriptorChain): ChainBuffer[] {
  return chain.buffers.filter((b) => b.writable);
}

export function totalLength(buffers: readonly ChainBuffer[]): number {
  return buffers.reduce((n, b) => n + b.len, 0);
}
