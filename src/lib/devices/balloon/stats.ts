// Memory statistics from the statsq (VIRTIO 1.4 §5.5.6.3): 10-byte entries of a le16 tag and a
// le64 value, in any order. The device ignores tags it does not know, as VIRTIO requires, and
// refuses a buffer it cannot read whole, keeping the statistics it had.
import type { BalloonErrorCode } from './errors.ts';
import { BALLOON_STAT_NAMES, BALLOON_STAT_SIZE } from './protocol.ts';

export interface ParsedStats {
  /** Known tags and their values. */
  readonly values: Map<number, bigint>;
  /** Entries with a tag VIRTIO 1.4 does not define: ignored (§5.5.6.3.2). */
  readonly unknown: number;
}

// #region parse-stats
export function parseStats(bytes: Uint8Array): ParsedStats | BalloonErrorCode {
  if (bytes.length % BALLOON_STAT_SIZE !== 0) return 'STATS_BAD_LENGTH';
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = new Map<number, bigint>();
  let unknown = 0;
  for (let at = 0; at < bytes.length; at += BALLOON_STAT_SIZE) {
    const tag = v.getUint16(at, true);
    const val = v.getBigUint64(at + 2, true);
    if (!BALLOON_STAT_NAMES.has(tag)) {
      unknown++; // a tag from a newer driver or a vendor extension: not ours to judge
      continue;
    }
    // One entry per statistic (§5.5.6.3.1): with two, the device could not tell which is meant.
    if (values.has(tag)) return 'STATS_DUPLICATE_TAG';
    values.set(tag, val);
  }
  return { values, unknown };
}
// #endregion parse-stats
