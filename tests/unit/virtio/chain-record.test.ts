// The reusable chain record: buffers kept in typed arrays, shown to device models as objects made
// on first use. Reuse must never leak one chain's buffers into the next.
import { describe, expect, it } from 'vitest';
import { ChainPool, ChainRecord } from '../../../src/lib/virtio/chain-record.ts';

/** Fills a record as a walk does: buffers, then the count of device-readable ones, which come first. */
function fill(chain: ChainRecord, id: number, bufs: { addr: number; len: number; writable: boolean }[]): void {
  bufs.forEach((b, i) => chain.setBuffer(i, b.addr, b.len));
  chain.finish(id, bufs.length, bufs.length, bufs.filter((b) => !b.writable).length);
}

const bufs = (n: number, base: number) => Array.from({ length: n }, (_, i) => ({ addr: base + i * 0x1000, len: 100 + i, writable: i >= n / 2 }));

describe('ChainRecord', () => {
  it('shows the buffers it was given, in order, with their writable part counted', () => {
    const c = new ChainRecord();
    fill(c, 7, bufs(4, 0x10_0000));
    expect(c.id).toBe(7);
    expect(c.descCount).toBe(4);
    expect(c.buffers).toEqual(bufs(4, 0x10_0000));
    expect(c.writableBytes).toBe(102 + 103);
  });

  it('grows past its first arrays without losing the buffers already set', () => {
    const c = new ChainRecord();
    const many = bufs(40, 0x20_0000);
    fill(c, 1, many);
    expect(c.buffers).toEqual(many);
  });

  it('marks as writable exactly the buffers after the readable count, whatever the lengths', () => {
    const c = new ChainRecord();
    fill(c, 3, [
      { addr: 0x1000, len: 7, writable: false },
      { addr: 0x2000, len: 0, writable: false },
      { addr: 0x3000, len: 11, writable: true },
    ]);
    expect(c.buffers.map((b) => b.writable)).toEqual([false, false, true]);
    expect(c.writableBytes).toBe(11);
    fill(c, 3, [{ addr: 0x1000, len: 5, writable: true }]);
    expect(c.buffers.map((b) => b.writable)).toEqual([true]);
    expect(c.writableBytes).toBe(5);
  });

  it('keeps addresses above 2^32 exact', () => {
    const c = new ChainRecord();
    fill(c, 0, [{ addr: 2 ** 52 + 4096, len: 1, writable: false }]);
    expect(c.buffers[0].addr).toBe(2 ** 52 + 4096);
  });

  it('after reuse for a shorter chain shows only the new buffers, in the same entry objects', () => {
    const pool = new ChainPool();
    const c = pool.acquire();
    fill(c, 1, bufs(6, 0x10_0000));
    const first = c.buffers;
    const entry0 = first[0];
    pool.release(c);
    const again = pool.acquire();
    expect(again).toBe(c);
    fill(again, 2, bufs(2, 0x30_0000));
    expect(again.buffers).toEqual(bufs(2, 0x30_0000));
    expect(again.buffers[0]).toBe(entry0);
    expect(again.writableBytes).toBe(101);
  });

  it('hands out the same buffer list until the record is filled again', () => {
    const c = new ChainRecord();
    fill(c, 0, bufs(3, 0x10_0000));
    expect(c.buffers).toBe(c.buffers);
  });

  it('pop results are made once per record', () => {
    const c = new ChainRecord();
    expect(c.popped).toBe(c.popped);
    expect(c.popped).toEqual({ kind: 'chain', chain: c });
  });

  it('every record shares one buffers getter, so that all records keep one hidden class', () => {
    const getter = (c: ChainRecord) => Object.getOwnPropertyDescriptor(c, 'buffers')?.get;
    const a = new ChainRecord();
    const b = new ChainRecord();
    expect(getter(a)).toBeTypeOf('function');
    expect(getter(a)).toBe(getter(b));
    expect(Object.keys(a)).toContain('buffers');
  });
});
