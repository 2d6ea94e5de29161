// Free page hinting (VIRTIO 1.4 §5.5.6.5): the device opens a round by putting a command ID of
// 2 or more in free_page_hint_cmd_id; the driver answers with that ID in a 4-byte output buffer,
// then offers free pages as device-writable buffers, and closes with STOP. The device keeps the
// pages of the current round and ignores pages hinted under any other ID. It never reuses an
// ID: IDs only go up, so a hint that arrives late can never be taken for one of a later round.
import { BALLOON_FIRST_CMD_ID, BALLOON_PAGE_SIZE, VIRTIO_BALLOON_CMD_ID_DONE, VIRTIO_BALLOON_CMD_ID_STOP } from './protocol.ts';

// #region hint-rounds
export class FreePageHints {
  /** What free_page_hint_cmd_id holds. */
  cmdId = VIRTIO_BALLOON_CMD_ID_STOP;
  private nextId = BALLOON_FIRST_CMD_ID;
  /** The ID of the round the driver last announced, or null after its STOP. */
  private driverId: number | null = null;
  /** Pages (by frame number) hinted in the current round. */
  readonly hinted = new Set<number>();

  /** Opens a round under a command ID never used before. */
  start(): number {
    const id = this.nextId;
    this.nextId = id === 0xffff_ffff ? BALLOON_FIRST_CMD_ID : id + 1;
    this.cmdId = id;
    this.hinted.clear();
    return id;
  }

  /** The device cannot use hints now (§5.5.6.5.2); the pages already hinted stay hinted. */
  stop(): void {
    this.cmdId = VIRTIO_BALLOON_CMD_ID_STOP;
  }

  /** The device needs the hinted pages no more: from now on it leaves them alone (§5.5.6.5.2). */
  done(): void {
    this.cmdId = VIRTIO_BALLOON_CMD_ID_DONE;
    this.hinted.clear();
  }

  /** The driver's output buffer: the ID of the round it hints for, or STOP. */
  announce(id: number): void {
    this.driverId = id === VIRTIO_BALLOON_CMD_ID_STOP ? null : id;
  }

  /** Pages the driver hints; false if they are not for the current round and were ignored. */
  offer(ranges: readonly { addr: number; len: number }[]): boolean {
    if (this.driverId === null || this.driverId !== this.cmdId || this.cmdId < BALLOON_FIRST_CMD_ID) return false;
    for (const r of ranges) {
      const first = Math.floor(r.addr / BALLOON_PAGE_SIZE);
      const end = Math.ceil((r.addr + r.len) / BALLOON_PAGE_SIZE);
      for (let p = first; p < end; p++) this.hinted.add(p);
    }
    return true;
  }

  reset(): void {
    this.cmdId = VIRTIO_BALLOON_CMD_ID_STOP;
    this.driverId = null;
    this.hinted.clear();
  }
}
// #endregion hint-rounds
