// The traditional memory balloon's wire format, VIRTIO 1.4 §5.5 (device ID 5): feature bits, the
// configuration layout, the page frame numbers of the inflate and deflate queues, the entries of
// the statistics queue and the command IDs of free page hinting. Every field is little-endian.

export const VIRTIO_ID_BALLOON = 5;

// #region balloon-features
/** §5.5.3: the driver tells the device before it uses a page it took out of the balloon. */
export const VIRTIO_BALLOON_F_MUST_TELL_HOST = 0;
/** §5.5.3: the statsq exists. */
export const VIRTIO_BALLOON_F_STATS_VQ = 1;
/** §5.5.3: the driver may take pages out of the balloon when the guest runs out of memory. */
export const VIRTIO_BALLOON_F_DEFLATE_ON_OOM = 2;
/** §5.5.3: the free_page_vq exists and free_page_hint_cmd_id is valid. */
export const VIRTIO_BALLOON_F_FREE_PAGE_HINT = 3;
/** §5.5.3: the driver writes poison_val into pages after deflating them; poison_val is valid. */
export const VIRTIO_BALLOON_F_PAGE_POISON = 4;
/** §5.5.3: the reporting_vq exists (Linux calls the bit VIRTIO_BALLOON_F_REPORTING). */
export const VIRTIO_BALLOON_F_PAGE_REPORTING = 5;
// #endregion balloon-features

// #region balloon-config
/** struct virtio_balloon_config (§5.5.4): four le32 fields. */
export const BALLOON_CFG_NUM_PAGES = 0; //              le32 num_pages   (device: pages it wants in the balloon)
export const BALLOON_CFG_ACTUAL = 4; //                 le32 actual      (driver: pages it says are in the balloon)
export const BALLOON_CFG_FREE_PAGE_HINT_CMD_ID = 8; //  le32 free_page_hint_cmd_id (device, with FREE_PAGE_HINT)
export const BALLOON_CFG_POISON_VAL = 12; //            le32 poison_val  (driver, with PAGE_POISON, before DRIVER_OK)
export const BALLOON_CONFIG_SIZE = 16;
// #endregion balloon-config

// #region balloon-pfn
/**
 * §5.5.6: inflate and deflate requests are arrays of le32 page frame numbers, each a guest
 * physical address divided by 4096, whatever page size the guest itself uses.
 */
export const BALLOON_PFN_SIZE = 4;
export const BALLOON_PAGE_SHIFT = 12;
export const BALLOON_PAGE_SIZE = 1 << BALLOON_PAGE_SHIFT;
// #endregion balloon-pfn

// #region balloon-stats
/** §5.5.6.3: struct virtio_balloon_stat, packed: le16 tag, le64 val. */
export const BALLOON_STAT_SIZE = 10;

/** §5.5.6.4: the tags VIRTIO 1.4 defines. */
export const VIRTIO_BALLOON_S_SWAP_IN = 0; //       bytes swapped in
export const VIRTIO_BALLOON_S_SWAP_OUT = 1; //      bytes swapped out
export const VIRTIO_BALLOON_S_MAJFLT = 2; //        major page faults
export const VIRTIO_BALLOON_S_MINFLT = 3; //        minor page faults
export const VIRTIO_BALLOON_S_MEMFREE = 4; //       bytes not used for anything
export const VIRTIO_BALLOON_S_MEMTOT = 5; //        bytes of memory in total
export const VIRTIO_BALLOON_S_AVAIL = 6; //         bytes available for new work without swapping
export const VIRTIO_BALLOON_S_CACHES = 7; //        bytes reclaimable at once without I/O
export const VIRTIO_BALLOON_S_HTLB_PGALLOC = 8; //  hugetlb allocations that succeeded
export const VIRTIO_BALLOON_S_HTLB_PGFAIL = 9; //   hugetlb allocations that failed
// #endregion balloon-stats

export const BALLOON_STAT_NAMES: ReadonlyMap<number, string> = new Map([
  [VIRTIO_BALLOON_S_SWAP_IN, 'swap_in'],
  [VIRTIO_BALLOON_S_SWAP_OUT, 'swap_out'],
  [VIRTIO_BALLOON_S_MAJFLT, 'major_faults'],
  [VIRTIO_BALLOON_S_MINFLT, 'minor_faults'],
  [VIRTIO_BALLOON_S_MEMFREE, 'free'],
  [VIRTIO_BALLOON_S_MEMTOT, 'total'],
  [VIRTIO_BALLOON_S_AVAIL, 'available'],
  [VIRTIO_BALLOON_S_CACHES, 'caches'],
  [VIRTIO_BALLOON_S_HTLB_PGALLOC, 'hugetlb_allocations'],
  [VIRTIO_BALLOON_S_HTLB_PGFAIL, 'hugetlb_failures'],
]);

// #region hint-cmd-ids
/** §5.5.6.5: command IDs 0 and 1 are reserved; a round of hinting runs under an ID from 2 up. */
export const VIRTIO_BALLOON_CMD_ID_STOP = 0;
export const VIRTIO_BALLOON_CMD_ID_DONE = 1;
export const BALLOON_FIRST_CMD_ID = 2;
/** §5.5.6.5.1: the driver's output buffers on free_page_vq are exactly one le32 command ID. */
export const BALLOON_CMD_ID_SIZE = 4;
// #endregion hint-cmd-ids

/** The queue roles of §5.5.2, in the order VIRTIO lists them. */
export type BalloonQueueRole = 'inflateq' | 'deflateq' | 'statsq' | 'free_page_vq' | 'reporting_vq';

// #region queue-map
/**
 * The queue index of each role under the negotiated features. VIRTIO lists the five queues as
 * 0 to 4 and says the last three exist only with their feature; Linux, QEMU and
 * cloud-hypervisor number the queues that exist one after another, so a queue whose feature
 * was not negotiated takes no index. The AVP makes that numbering the rule (AVP-MEM-2).
 */
export function balloonQueues(features: bigint): BalloonQueueRole[] {
  const has = (b: number) => (features & (1n << BigInt(b))) !== 0n;
  const roles: BalloonQueueRole[] = ['inflateq', 'deflateq'];
  if (has(VIRTIO_BALLOON_F_STATS_VQ)) roles.push('statsq');
  if (has(VIRTIO_BALLOON_F_FREE_PAGE_HINT)) roles.push('free_page_vq');
  if (has(VIRTIO_BALLOON_F_PAGE_REPORTING)) roles.push('reporting_vq');
  return roles;
}
// #endregion queue-map

/** A request of page frame numbers, as a driver lays it out. */
export function encodePfns(pfns: readonly number[]): Uint8Array {
  const b = new Uint8Array(pfns.length * BALLOON_PFN_SIZE);
  const v = new DataView(b.buffer);
  pfns.forEach((p, i) => v.setUint32(i * BALLOON_PFN_SIZE, p >>> 0, true));
  return b;
}

/** A statistics buffer: one 10-byte entry per (tag, value). */
export function encodeStats(entries: readonly (readonly [number, bigint])[]): Uint8Array {
  const b = new Uint8Array(entries.length * BALLOON_STAT_SIZE);
  const v = new DataView(b.buffer);
  entries.forEach(([tag, val], i) => {
    v.setUint16(i * BALLOON_STAT_SIZE, tag, true);
    v.setBigUint64(i * BALLOON_STAT_SIZE + 2, BigInt.asUintN(64, val), true);
  });
  return b;
}

/** A command ID as the driver sends it on free_page_vq. */
export function encodeCmdId(id: number): Uint8Array {
  const b = new Uint8Array(BALLOON_CMD_ID_SIZE);
  new DataView(b.buffer).setUint32(0, id >>> 0, true);
  return b;
}
