import { describe, expect, it } from 'vitest';
import { IDX_MODULUS, idxAdd, idxDistance, idxSlot, needEvent, shouldNotify } from '../../../src/lib/virtio/split/index.ts';

describe('free-running 16-bit indices (§2.7.13.3)', () => {
  it('§2.7.13.3 indices wrap at 65536 and distances are taken modulo 65536', () => {
    expect(IDX_MODULUS).toBe(65536);
    expect(idxAdd(65535, 1)).toBe(0);
    expect(idxAdd(65530, 10)).toBe(4);
    expect(idxAdd(0, -1)).toBe(65535);
    expect(idxDistance(65534, 2)).toBe(4);
    expect(idxDistance(5, 5)).toBe(0);
    // Going backwards by one looks like a jump of almost a full lap.
    expect(idxDistance(5, 4)).toBe(65535);
  });

  it('§2.7 a power-of-2 size divides 65536, so the ring slot continues unbroken across the wrap', () => {
    for (const size of [1, 2, 8, 256, 32768]) {
      expect(idxSlot(65535, size)).toBe(size - 1);
      expect(idxSlot(idxAdd(65535, 1), size)).toBe(0);
    }
  });
});

describe('the event-index rule (§2.7.7.2, §2.7.10.1)', () => {
  it('[AVP-VQ-6] notifies exactly when the named entry is among those just written', () => {
    // Entries 10, 11, 12 written (old 10, new 13).
    expect([9, 10, 11, 12, 13, 14].map((e) => needEvent(e, 13, 10))).toEqual([false, true, true, true, false, false]);
  });

  it('[AVP-VQ-6] the §2.7.7.2 example: used_event 0 notifies after the first buffer and again after the 65537th', () => {
    expect(needEvent(0, 1, 0)).toBe(true);
    let notes = 0;
    for (let i = 1; i < 65536; i++) if (needEvent(0, idxAdd(i, 1), i)) notes++;
    expect(notes).toBe(0);
    expect(needEvent(0, 1, 0)).toBe(true); // index 65536 wraps to 0: the entry is written again
  });

  it('[AVP-VQ-6] holds across the wrap of the indices', () => {
    // Entries 65534, 65535, 0, 1 written.
    expect([65533, 65534, 65535, 0, 1, 2].map((e) => needEvent(e, 2, 65534))).toEqual([false, true, true, true, true, false]);
  });

  it('[AVP-VQ-6] [AVP-VQ-7] without VIRTIO_F_EVENT_IDX bit 0 of the flags decides, and the event index is ignored', () => {
    expect(shouldNotify({ eventIdx: false, flags: 0, event: 500 }, 3, 1)).toBe(true);
    expect(shouldNotify({ eventIdx: false, flags: 1, event: 2 }, 3, 1)).toBe(false);
  });

  it('[AVP-VQ-6] [AVP-VQ-7] with VIRTIO_F_EVENT_IDX the flags are ignored and the event index decides', () => {
    expect(shouldNotify({ eventIdx: true, flags: 1, event: 2 }, 3, 1)).toBe(true);
    expect(shouldNotify({ eventIdx: true, flags: 0, event: 3 }, 3, 1)).toBe(false);
    expect(shouldNotify({ eventIdx: true, flags: 0, event: 0 }, 3, 3)).toBe(true);
  });

  it('nothing written: never notify; a full lap or more written: the named entry was certainly passed', () => {
    expect(shouldNotify({ eventIdx: false, flags: 0, event: 0 }, 7, 0)).toBe(false);
    expect(shouldNotify({ eventIdx: true, flags: 0, event: 6 }, 7, 0)).toBe(false);
    expect(shouldNotify({ eventIdx: true, flags: 0, event: 100 }, 7, 65536)).toBe(true);
  });
});
