import { describe, expect, it } from 'vitest';
import { featureSet, VIRTIO_F_INDIRECT_DESC } from '../../../src/lib/virtio/feature-bits.ts';
import { SplitDeviceQueue, VisitMarks, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT } from '../../../src/lib/virtio/split/index.ts';
import { checkedSplitLayout, offer, putDesc, putTableEntry } from '../../support/split-harness.ts';

describe('the split chain walk (§2.7.5)', () => {
  it('VisitMarks forgets the marks of earlier walks', () => {
    const m = new VisitMarks(4);
    m.begin(0);
    expect(m.visit(0)).toBe(false);
    expect(m.visit(2)).toBe(true);
    expect(m.visit(2)).toBe(false);
    m.begin(1);
    expect(m.visit(2)).toBe(true);
    expect(m.visit(0)).toBe(true);
  });

  it('one set of marks serves many walks over the same descriptors', () => {
    const l = checkedSplitLayout(4);
    putDesc(l, 0, { addr: l.dataAddr, len: 1, flags: VIRTQ_DESC_F_NEXT, next: 1 });
    putDesc(l, 1, { addr: l.dataAddr, len: 1 });
    const dev = new SplitDeviceQueue(l.mem, l.config, 0n);
    for (let i = 0; i < 3; i++) {
      offer(l, 0);
      const r = dev.pop();
      if (r.kind !== 'chain') throw new Error(`walk ${i}: ${r.kind === 'error' ? r.error.message : r.kind}`);
      expect(r.chain.buffers).toHaveLength(2);
      dev.push(r.chain, 0);
    }
  });

  it('[AVP-VQ-9] a huge indirect table is read only as far as the chain goes, and the limit ends a long chain early', () => {
    const l = checkedSplitLayout(4, { indirectSize: 1 << 20 });
    const t = l.indirectArea.addr;
    // 65536 entries, each pointing at the next: the walk stops at the queue size.
    for (let i = 0; i < 8; i++) putTableEntry(l, t, i, { addr: l.dataAddr, len: 1, flags: VIRTQ_DESC_F_NEXT, next: i + 1 });
    putDesc(l, 0, { addr: t, len: 1 << 20, flags: VIRTQ_DESC_F_INDIRECT });
    const dev = new SplitDeviceQueue(l.mem, l.config, featureSet(VIRTIO_F_INDIRECT_DESC));
    offer(l, 0);
    const r = dev.pop();
    expect(r.kind === 'error' ? r.error.code : r.kind).toBe('CHAIN_TOO_LONG');
    expect(l.mem.violations).toEqual([]);
  });

  it('in a table of more than 65536 entries the 16-bit next reaches the first 65536: marked, reused across walks, a loop is DESC_LOOP', () => {
    const entries = 1 << 17;
    const l = checkedSplitLayout(4, { indirectSize: entries * 16 });
    const t = l.indirectArea.addr;
    const last = 0xffff; // the highest entry a next field can name
    putTableEntry(l, t, 0, { addr: l.dataAddr, len: 1, flags: VIRTQ_DESC_F_NEXT, next: last });
    putTableEntry(l, t, last, { addr: l.dataAddr + 8, len: 2 });
    putDesc(l, 0, { addr: t, len: entries * 16, flags: VIRTQ_DESC_F_INDIRECT });
    const dev = new SplitDeviceQueue(l.mem, l.config, featureSet(VIRTIO_F_INDIRECT_DESC));
    for (let i = 0; i < 2; i++) {
      offer(l, 0);
      const r = dev.pop();
      if (r.kind !== 'chain') throw new Error(`walk ${i}: ${r.kind === 'error' ? r.error.message : r.kind}`);
      expect(r.chain.buffers).toEqual([
        { addr: l.dataAddr, len: 1, writable: false },
        { addr: l.dataAddr + 8, len: 2, writable: false },
      ]);
      dev.push(r.chain, 0);
    }
    putTableEntry(l, t, last, { addr: l.dataAddr + 8, len: 2, flags: VIRTQ_DESC_F_NEXT, next: last });
    offer(l, 0);
    const r = dev.pop();
    expect(r.kind === 'error' ? r.error.code : r.kind).toBe('DESC_LOOP');
    expect(r.kind === 'error' ? r.error.message : '').toMatch(/indirect table entry 65535 appears twice/);
    expect(l.mem.violations).toEqual([]);
  });
});
