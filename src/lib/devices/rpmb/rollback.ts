// Anti-rollback indices on RPMB. A verified-boot chain (Android Verified Boot, a UEFI or
// U-Boot chain, an RTOS loader) refuses an image whose security version is lower than the
// stored index of its slot. The index must survive power cycles and must not be lowered by
// anyone, including an attacker who recorded an earlier write and plays it back. RPMB gives
// both: the block is only written by an authenticated write, which carries the write counter,
// so a recorded write is stale once any later write has happened, and it is only believed
// after a read whose MAC and fresh nonce verify.
import type { RpmbClient } from './client.ts';
import { RPMB_DATA_SIZE } from './frame.ts';

/** Slots in one block: 32 big-endian 64-bit indices. */
export const ROLLBACK_SLOTS = RPMB_DATA_SIZE / 8;

export type RaiseOutcome = 'raised' | 'unchanged' | 'refused-lower' | 'failed';

// #region rollback-indices
export class RollbackIndices {
  readonly client: RpmbClient;
  /** The block (in the requester's RPMB) that holds the indices. */
  readonly address: number;

  constructor(client: RpmbClient, address: number) {
    this.client = client;
    this.address = address;
  }

  /** Every slot, or null when the read does not verify: the caller then refuses to boot. */
  read(): bigint[] | null {
    const r = this.client.read(this.address, 1);
    if (!r.data) return null;
    const v = new DataView(r.data.buffer, r.data.byteOffset, RPMB_DATA_SIZE);
    return Array.from({ length: ROLLBACK_SLOTS }, (_, i) => v.getBigUint64(8 * i, false));
  }

  /** Raises one slot after a successful update; never lowers it. */
  raise(slot: number, value: bigint): RaiseOutcome {
    if (!Number.isInteger(slot) || slot < 0 || slot >= ROLLBACK_SLOTS) throw new RangeError(`slot 0 to ${ROLLBACK_SLOTS - 1}`);
    const now = this.read();
    if (!now) return 'failed';
    if (value < now[slot]) return 'refused-lower';
    if (value === now[slot]) return 'unchanged';
    now[slot] = value;
    const block = new Uint8Array(RPMB_DATA_SIZE);
    const v = new DataView(block.buffer);
    now.forEach((x, i) => v.setBigUint64(8 * i, x, false));
    const w = this.client.write(this.address, block);
    return w.applied ? 'raised' : 'failed';
  }
}
// #endregion rollback-indices
