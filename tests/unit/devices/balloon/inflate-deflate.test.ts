// Inflate and deflate requests (VIRTIO 1.4 §5.5.6) on both ring layouts: page frame numbers across
// any split, all-or-nothing refusals and their error conditions, a deflate that waits for the
// host, a deflate below num_pages with and without DEFLATE_ON_OOM.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { BALLOON_ERRORS } from '../../../../src/lib/devices/balloon/errors.ts';
import type { BalloonHost } from '../../../../src/lib/devices/balloon/device.ts';
import * as P from '../../../../src/lib/devices/balloon/protocol.ts';
import { errorCount, rig, send, without } from './harness.ts';

/** A host with `free` bytes it can back deflates with. */
function host(free: number): BalloonHost & { free: number; lent: number } {
  return {
    free,
    lent: 0,
    inflated(b) {
      this.lent += b;
    },
    deflate(b) {
      if (b > this.free) return false;
      this.free -= b;
      this.lent -= b;
      return true;
    },
    reset(b) {
      this.lent -= b;
    },
  };
}

describe.each(RING_TYPES)('balloon inflate and deflate (%s ring)', (ring) => {
  it('[AVP-MEM-4] reads a request as le32 frame numbers of 4 KiB pages, split over descriptors anywhere', () => {
    const r = rig(ring);
    const bytes = P.encodePfns([0x100, 0x101, 0xfff, 0x2345 & 0xfff]);
    send(r, 'inflateq', [bytes.subarray(0, 3), bytes.subarray(3, 9), bytes.subarray(9)]);
    expect([0x100, 0x101, 0xfff, 0x345].map((p) => r.dev.has(p))).toEqual([true, true, true, true]);
    expect(r.dev.pagesInBalloon).toBe(4);
    expect(P.BALLOON_PAGE_SIZE).toBe(4096);
    send(r, 'deflateq', [bytes.subarray(0, 1), bytes.subarray(1)]);
    expect(r.dev.pagesInBalloon).toBe(0);
  });

  it('[AVP-MEM-5] takes every page of a request or none of them', () => {
    const r = rig(ring);
    r.drv.inflate([0x200]);
    send(r, 'inflateq', [P.encodePfns([0x100, 0x101, 0x200, 0x102])]); // 0x200 is in already
    expect([0x100, 0x101, 0x102].some((p) => r.dev.has(p))).toBe(false);
    expect(r.dev.pagesInBalloon).toBe(1);
    send(r, 'deflateq', [P.encodePfns([0x200, 0x300])]); // 0x300 is not in the balloon
    expect(r.dev.has(0x200)).toBe(true);
    expect(r.dev.counters.deflated).toBe(0);
  });

  it('[AVP-MEM-6] refuses an empty request, one that is not whole frame numbers, and one with a device-writable buffer', () => {
    const r = rig(ring);
    send(r, 'inflateq', [new Uint8Array(5)]);
    send(r, 'deflateq', [new Uint8Array(2)]);
    send(r, 'inflateq', [], [8]);
    send(r, 'inflateq', [P.encodePfns([0x100])], [4]);
    expect(errorCount(r, 'BAD_LENGTH')).toBe(2);
    expect(errorCount(r, 'WRITABLE_BUFFER')).toBe(2);
    expect(r.dev.pagesInBalloon).toBe(0);
  });

  it('[AVP-MEM-7] refuses a page outside the memory the balloon covers, or in a range the platform protects', () => {
    const r = rig(ring, { protectedRanges: [{ first: 0x400, count: 0x10 }] });
    send(r, 'inflateq', [P.encodePfns([0x100, 0x1000])]);
    send(r, 'inflateq', [P.encodePfns([0xffff_ffff])]);
    send(r, 'inflateq', [P.encodePfns([0x40f])]);
    expect(errorCount(r, 'PFN_OUT_OF_RANGE')).toBe(2);
    expect(errorCount(r, 'PFN_PROTECTED')).toBe(1);
    send(r, 'inflateq', [P.encodePfns([0x3ff, 0x410, 0xfff])]); // the edges are not protected
    expect(r.dev.pagesInBalloon).toBe(3);
  });

  it('[AVP-MEM-7] without a size given, covers exactly the guest memory the transport has', () => {
    const r = rig(ring, { guestPages: undefined });
    send(r, 'inflateq', [P.encodePfns([0xff])]); // 1 MiB of guest memory: frames 0 to 0xff
    send(r, 'inflateq', [P.encodePfns([0x100])]);
    expect(r.dev.has(0xff)).toBe(true);
    expect(errorCount(r, 'PFN_OUT_OF_RANGE')).toBe(1);
  });

  it('[AVP-MEM-8] refuses an inflate naming a page already in the balloon or one page twice', () => {
    const r = rig(ring);
    r.drv.inflate([0x100]);
    send(r, 'inflateq', [P.encodePfns([0x100])]);
    send(r, 'inflateq', [P.encodePfns([0x101, 0x102, 0x101])]);
    expect(errorCount(r, 'PFN_ALREADY_INFLATED')).toBe(1);
    expect(errorCount(r, 'PFN_REPEATED')).toBe(1);
    expect(r.dev.pagesInBalloon).toBe(1);
  });

  it('[AVP-MEM-9] refuses a deflate naming a page that is not in the balloon', () => {
    const r = rig(ring);
    r.drv.inflate([0x100, 0x101]);
    send(r, 'deflateq', [P.encodePfns([0x102])]);
    send(r, 'deflateq', [P.encodePfns([0x100, 0x100])]);
    expect(errorCount(r, 'PFN_NOT_INFLATED')).toBe(1);
    expect(errorCount(r, 'PFN_REPEATED')).toBe(1);
    expect(r.dev.pagesInBalloon).toBe(2);
  });

  it('[AVP-MEM-11] records each refusal under the name of its error condition, counted, with the last one kept', () => {
    const r = rig(ring);
    send(r, 'inflateq', [new Uint8Array(3)]);
    send(r, 'inflateq', [new Uint8Array(3)]);
    send(r, 'deflateq', [P.encodePfns([0x100])]);
    expect(Object.fromEntries(r.dev.errors)).toEqual({ BAD_LENGTH: 2, PFN_NOT_INFLATED: 1 });
    expect(r.dev.lastError).toBe('PFN_NOT_INFLATED');
    for (const code of r.dev.errors.keys()) expect(BALLOON_ERRORS[code]).toMatch(/\w/);
  });

  it('[AVP-MEM-14] holds a deflate, and those behind it, until the host backs its pages, then acknowledges them in order', () => {
    const h = host(0);
    const r = rig(ring, { host: h });
    r.drv.inflate([0x100, 0x101, 0x102]);
    expect(h.lent).toBe(3 * 4096);
    const q = r.drv.queueOf('deflateq');
    const a = r.lb.submit(q, [P.encodePfns([0x100, 0x101])], []);
    const b = r.lb.submit(q, [P.encodePfns([0x102])], []);
    expect(r.lb.poll(q)).toEqual([]);
    expect(r.dev.pendingDeflatePages).toBe(3);
    expect(r.dev.has(0x100)).toBe(true);
    h.free = 2 * 4096; // enough for the first request only
    r.dev.retryDeflates();
    expect(r.lb.poll(q).map((c) => c.id)).toEqual([a]);
    expect(r.dev.has(0x100) || r.dev.has(0x101)).toBe(false);
    expect(r.dev.has(0x102)).toBe(true);
    h.free = 4096;
    r.dev.retryDeflates();
    expect(r.lb.poll(q).map((c) => c.id)).toEqual([b]);
    expect(r.dev.pagesInBalloon).toBe(0);
  });

  it('[AVP-MEM-14] keeps a waiting deflate through suspend and acknowledges it after resume', () => {
    const h = host(0);
    const r = rig(ring, { host: h });
    r.drv.inflate([0x100]);
    expect(r.drv.deflate([0x100])).toBe(false);
    r.dev.suspend();
    h.free = 4096;
    r.dev.retryDeflates(); // suspended: nothing moves
    expect(r.dev.has(0x100)).toBe(true);
    r.dev.resume();
    r.drv.collect();
    expect(r.dev.has(0x100)).toBe(false);
    expect(r.drv.waitingPages).toBe(0);
  });

  it('[AVP-MEM-15] returns pages below num_pages without DEFLATE_ON_OOM, and records DEFLATE_BELOW_TARGET', () => {
    const r = rig(ring, {}, without(P.VIRTIO_BALLOON_F_DEFLATE_ON_OOM));
    r.dev.setTarget(4);
    r.drv.sync();
    expect(r.dev.pagesInBalloon).toBe(4);
    const n = r.lb.configNotifications;
    r.drv.deflate([0x100]);
    expect(r.dev.pagesInBalloon).toBe(3);
    expect(errorCount(r, 'DEFLATE_BELOW_TARGET')).toBe(1);
    expect(r.dev.numPages).toBe(4); // still asked for
    expect(r.lb.configNotifications).toBe(n);
    expect(() => r.drv.oomDeflate(1)).toThrow(/DEFLATE_ON_OOM/);
  });

  it('[AVP-MEM-16] with DEFLATE_ON_OOM, lowers num_pages to the balloon after a deflate below it, and notifies', () => {
    const r = rig(ring);
    r.dev.setTarget(8);
    r.drv.sync();
    const n = r.lb.configNotifications;
    expect(r.drv.oomDeflate(3)).toBe(true);
    expect(r.dev.pagesInBalloon).toBe(5);
    expect(r.dev.numPages).toBe(5);
    expect(r.dev.counters.oomDeflates).toBe(1);
    expect(r.lb.configNotifications).toBe(n + 1);
    expect(errorCount(r, 'DEFLATE_BELOW_TARGET')).toBe(0);
    // A deflate the device asked for (num_pages lowered first) is not an out-of-memory deflate.
    r.dev.setTarget(2);
    r.drv.sync();
    expect(r.dev.counters.oomDeflates).toBe(1);
    expect(r.dev.pagesInBalloon).toBe(2);
  });
});
