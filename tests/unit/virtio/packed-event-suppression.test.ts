import { describe, expect, it } from 'vitest';
import { GuestMemory } from '../../../src/lib/virtio/memory.ts';
import {
  readEventSuppression,
  RING_EVENT_FLAGS_DESC,
  RING_EVENT_FLAGS_DISABLE,
  RING_EVENT_FLAGS_ENABLE,
  shouldNotify,
  writeEventSuppression,
} from '../../../src/lib/virtio/packed/index.ts';

const desc = (offset: number, wrap: boolean) => ({ flags: RING_EVENT_FLAGS_DESC, offset, wrap });

describe('event suppression structure (§2.8.14)', () => {
  it('§2.8.14 desc_event_off is bits 0..14, desc_event_wrap bit 15, flags in the second le16', () => {
    const mem = GuestMemory.create(8);
    writeEventSuppression(mem, 4, { flags: RING_EVENT_FLAGS_DESC, offset: 0x1234, wrap: true });
    expect(Array.from(mem.read(4, 4))).toEqual([0x34, 0x92, 0x02, 0x00]);
    expect(readEventSuppression(mem, 4)).toEqual({ flags: 2, offset: 0x1234, wrap: true });
  });

  it('§2.8.14 the reserved upper 14 bits of flags are ignored when read', () => {
    const mem = GuestMemory.create(4);
    mem.writeU16(2, 0xfffd);
    expect(readEventSuppression(mem, 0).flags).toBe(RING_EVENT_FLAGS_DISABLE);
  });
});

describe('notification decision (§2.8.10)', () => {
  const enable = { flags: RING_EVENT_FLAGS_ENABLE, offset: 0, wrap: false };
  const disable = { flags: RING_EVENT_FLAGS_DISABLE, offset: 0, wrap: false };

  it('[AVP-VQ-6] [AVP-VQ-7] §2.8.10 ENABLE notifies after progress, DISABLE never', () => {
    expect(shouldNotify(enable, 8, 0, 1, false)).toBe(true);
    expect(shouldNotify(enable, 8, 0, 0, false)).toBe(false);
    expect(shouldNotify(disable, 8, 0, 5, true)).toBe(false);
  });

  it('[AVP-VQ-6] §2.8.10 DESC notifies only when the named slot of the named lap is passed (VIRTIO_F_EVENT_IDX)', () => {
    // From slot 2 of the first lap, three slots: 2, 3, 4.
    expect(shouldNotify(desc(4, true), 8, 2, 3, true)).toBe(true);
    expect(shouldNotify(desc(2, true), 8, 2, 3, true)).toBe(true);
    expect(shouldNotify(desc(5, true), 8, 2, 3, true)).toBe(false);
    expect(shouldNotify(desc(1, true), 8, 2, 3, true)).toBe(false);
    // The same slot in the other lap is a different event.
    expect(shouldNotify(desc(4, false), 8, 2, 3, true)).toBe(false);
  });

  it('[AVP-VQ-6] §2.8.10 DESC across the end of the ring and the lap boundary', () => {
    // From slot 6 of the second lap (linear 14), four slots: 6, 7 (lap 2), 0, 1 (lap 1 again).
    expect(shouldNotify(desc(7, false), 8, 14, 4, true)).toBe(true);
    expect(shouldNotify(desc(1, true), 8, 14, 4, true)).toBe(true);
    expect(shouldNotify(desc(2, true), 8, 14, 4, true)).toBe(false);
    expect(shouldNotify(desc(1, false), 8, 14, 4, true)).toBe(false);
  });

  it('DESC after two whole laps of progress always notifies', () => {
    expect(shouldNotify(desc(3, false), 4, 0, 8, true)).toBe(true);
  });

  it('§2.8.10 DESC without VIRTIO_F_EVENT_IDX, the reserved value 3 and an offset >= size read as ENABLE', () => {
    expect(shouldNotify(desc(7, false), 8, 0, 1, false)).toBe(true);
    expect(shouldNotify({ flags: 3, offset: 0, wrap: false }, 8, 0, 1, true)).toBe(true);
    expect(shouldNotify(desc(9, true), 8, 0, 1, true)).toBe(true);
  });
});
