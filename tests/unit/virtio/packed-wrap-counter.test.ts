import { describe, expect, it } from 'vitest';
import {
  availFlags,
  isAvailable,
  isUsed,
  RingPosition,
  usedFlags,
  VIRTQ_DESC_F_AVAIL,
  VIRTQ_DESC_F_USED,
} from '../../../src/lib/virtio/packed/index.ts';

describe('ring wrap counters (§2.8.1)', () => {
  it('§2.8.1 a wrap counter starts at 1 and flips each time the last slot is passed', () => {
    const p = new RingPosition();
    expect([p.index, p.wrap]).toEqual([0, true]);
    p.advance(3, 4);
    expect([p.index, p.wrap]).toEqual([3, true]);
    p.advance(1, 4);
    expect([p.index, p.wrap]).toEqual([0, false]);
    p.advance(6, 4);
    expect([p.index, p.wrap]).toEqual([2, true]);
  });

  it('a size-1 ring flips the counter on every step', () => {
    const p = new RingPosition();
    for (let i = 1; i <= 5; i++) {
      p.advance(1, 1);
      expect(p.index).toBe(0);
      expect(p.wrap).toBe(i % 2 === 0);
    }
  });

  it('linear() numbers the two laps 0..2*size-1 and clone() is independent', () => {
    const p = new RingPosition();
    p.advance(5, 4);
    expect(p.linear(4)).toBe(5);
    const q = p.clone();
    q.advance(3, 4);
    expect(q.linear(4)).toBe(0);
    expect(p.linear(4)).toBe(5);
  });

  it('§2.8.1 available: AVAIL equals the wrap counter and USED is its inverse', () => {
    expect(availFlags(true)).toBe(VIRTQ_DESC_F_AVAIL);
    expect(availFlags(false)).toBe(VIRTQ_DESC_F_USED);
    for (const w of [true, false]) {
      expect(isAvailable(availFlags(w), w)).toBe(true);
      expect(isAvailable(availFlags(w), !w)).toBe(false);
      expect(isUsed(availFlags(w), w)).toBe(false);
    }
  });

  it('§2.8.1 used: AVAIL and USED both equal the wrap counter', () => {
    expect(usedFlags(true)).toBe(VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED);
    expect(usedFlags(false)).toBe(0);
    for (const w of [true, false]) {
      expect(isUsed(usedFlags(w), w)).toBe(true);
      expect(isUsed(usedFlags(w), !w)).toBe(false);
      expect(isAvailable(usedFlags(w), w)).toBe(false);
    }
  });

  it('§2.8.13 a zero-initialized descriptor is neither available nor used in the first lap', () => {
    expect(isAvailable(0, true)).toBe(false);
    expect(isUsed(0, true)).toBe(false);
  });

  it('other flag bits do not affect availability', () => {
    expect(isAvailable(availFlags(true) | 0x7, true)).toBe(true);
    expect(isUsed(usedFlags(false) | 0x2, false)).toBe(true);
  });
});
