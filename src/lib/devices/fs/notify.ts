// The notification queue (§5.11.6.3): the driver keeps it stocked with device-writable
// buffers, and the device fills one per FUSE notify message. The model sends one kind,
// FUSE_NOTIFY_INVAL_INODE, when a node the guest holds changes behind its back (the host, or
// another guest's share of the same tree): without it, a guest caching a map tile or a
// configuration file would keep reading the old bytes until its cache timeout ran out.
import { ChainWriter } from '../../virtio/chain-io.ts';
import { readableBuffers, totalLength, writableBuffers } from '../../virtio/chain.ts';
import type { VirtqError } from '../../virtio/errors.ts';
import type { GuestMemory } from '../../virtio/memory.ts';
import type { DeviceQueue } from '../../virtio/queue.ts';
import { encodeNotifyInvalInode, FUSE_NOTIFY_INVAL_INODE, FUSE_NOTIFY_INVAL_INODE_SIZE } from './fuse-dirent.ts';
import { encodeOutHeader, FUSE_OUT_HEADER_SIZE } from './fuse-header.ts';
import type { FuseEndian } from './fuse-wire.ts';

// #region notify-buf-size
/** notify_buf_size: room for the largest message the model sends (§5.11.4.2). */
export const FS_NOTIFY_BUF_SIZE = FUSE_OUT_HEADER_SIZE + FUSE_NOTIFY_INVAL_INODE_SIZE;
// #endregion notify-buf-size

export interface FsNotifyStats {
  /** Messages delivered. */
  sent: number;
  /** Buffers returned unused: device-readable parts, or fewer than notify_buf_size writable bytes. */
  badBuffers: number;
}

// #region notifier
export class FsNotifier {
  readonly stats: FsNotifyStats = { sent: 0, badBuffers: 0 };
  /** Nodeids waiting for a buffer, oldest first; one message per node however often it changed. */
  private readonly pending = new Set<bigint>();

  get waiting(): number {
    return this.pending.size;
  }

  post(nodeid: bigint): void {
    this.pending.add(nodeid);
  }

  clear(): void {
    this.pending.clear();
  }

  /**
   * Sends what waits while buffers last; messages without a buffer keep waiting for the
   * driver to add some. Returns whether the driver needs a used buffer notification, or the
   * ring error that stopped the queue.
   */
  pump(q: DeviceQueue, mem: GuestMemory, endian: FuseEndian): boolean | VirtqError {
    let pushed = false;
    while (this.pending.size > 0) {
      const r = q.pop();
      if (r.kind === 'empty') break;
      if (r.kind === 'error') return r.error;
      pushed = true;
      if (readableBuffers(r.chain).length > 0 || totalLength(writableBuffers(r.chain)) < FS_NOTIFY_BUF_SIZE) {
        this.stats.badBuffers++; // a driver error (§5.11.6.3): give the buffer back unused
        q.push(r.chain, 0);
        continue;
      }
      const nodeid = this.pending.values().next().value as bigint;
      this.pending.delete(nodeid);
      const w = new ChainWriter(mem, r.chain);
      // unique 0 marks a notification; `error` carries the notify code, not an errno.
      w.write(encodeOutHeader({ len: FS_NOTIFY_BUF_SIZE, error: FUSE_NOTIFY_INVAL_INODE, unique: 0n }, endian));
      w.write(encodeNotifyInvalInode({ ino: nodeid, off: 0n, len: 0n }, endian)); // off 0, len 0: all data and attributes
      q.push(r.chain, w.written);
      this.stats.sent++;
    }
    return pushed && q.needsNotification();
  }
}
// #endregion notifier
