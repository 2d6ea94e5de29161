// What the balloon device records when a driver gets something wrong. The balloon has no status
// field: the device uses every buffer with used length 0 whether it took the pages or not, so
// a refusal is visible to the driver only through the pages the device counts (and, for the
// platform, through these records). Every refusal is all or nothing: a request with one bad
// page frame number takes no page at all.

// #region balloon-errors
export const BALLOON_ERRORS = {
  /** inflateq/deflateq: the device-readable part is empty or not a whole number of le32 PFNs (§5.5.6). */
  BAD_LENGTH: 'the request is empty or not a whole number of 4-byte page frame numbers',
  /** inflateq, deflateq, statsq: a device-writable buffer where the queue carries only device-readable ones (§5.5.6, §5.5.6.3). */
  WRITABLE_BUFFER: 'a device-writable buffer on a queue whose requests are device-readable only',
  /** A page frame number at or beyond the guest's balloonable memory (§5.5.6). */
  PFN_OUT_OF_RANGE: 'a page frame number outside the guest memory the balloon covers',
  /** A page in a range the platform keeps out of the balloon (a shared-memory window, firmware). */
  PFN_PROTECTED: 'a page the platform never lets into the balloon',
  /** The same page frame number twice in one request. */
  PFN_REPEATED: 'the same page frame number twice in one request',
  /** inflateq: a page that is in the balloon already (§5.5.6.1). */
  PFN_ALREADY_INFLATED: 'an inflate request names a page already in the balloon',
  /** deflateq: a page that is not in the balloon (§5.5.6.1). */
  PFN_NOT_INFLATED: 'a deflate request names a page that is not in the balloon',
  /** deflateq: the balloon went below num_pages without VIRTIO_BALLOON_F_DEFLATE_ON_OOM (§5.5.6.1). */
  DEFLATE_BELOW_TARGET: 'a deflate took the balloon below num_pages without VIRTIO_BALLOON_F_DEFLATE_ON_OOM',
  /** statsq: a buffer that is not a whole number of 10-byte entries (§5.5.6.3). */
  STATS_BAD_LENGTH: 'a statistics buffer that is not a whole number of 10-byte entries',
  /** statsq: one tag twice in a buffer (§5.5.6.3.1: one entry per statistic). */
  STATS_DUPLICATE_TAG: 'a statistics buffer with the same tag twice',
  /** statsq: a second buffer while the device holds one (§5.5.6.3.1: at most one). */
  STATS_EXTRA_BUFFER: 'a statistics buffer offered while the device already holds one',
  /** free_page_vq: an output buffer that is not exactly one le32 command ID (§5.5.6.5.1). */
  HINT_BAD_LENGTH: 'a free page hint output buffer that is not exactly 4 bytes',
  /** free_page_vq: pages hinted under a command ID that is not the current one (§5.5.6.5.2). */
  HINT_STALE_ID: 'pages hinted under a command ID that is not current',
  /** reporting_vq: a device-readable buffer in a report (§5.5.6.7: reported pages are device-writable). */
  REPORT_READABLE_BUFFER: 'a free page report with a device-readable buffer',
  /** reporting_vq: a reported range whose address or length is not a multiple of 4096. */
  REPORT_MISALIGNED: 'a reported range not aligned to 4 KiB pages',
  /** reporting_vq: a reported page that is in the balloon, so not the guest's to report. */
  REPORT_IN_BALLOON: 'a reported page that is in the balloon',
  /** A driver write to a configuration field it may not write (§5.5.4). */
  CONFIG_READ_ONLY: 'a driver write to num_pages, free_page_hint_cmd_id or an unnegotiated poison_val',
  /** A driver write to poison_val after DRIVER_OK (§5.5.6.6.1). */
  POISON_LOCKED: 'a driver write to poison_val after DRIVER_OK',
} as const;
// #endregion balloon-errors

export type BalloonErrorCode = keyof typeof BALLOON_ERRORS;
