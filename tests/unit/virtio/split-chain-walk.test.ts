import { describe, expect, it } from 'vitest';
import { isVirtqError } from '../../../src/lib/virtio/errors.ts';
import { VisitMarks, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, walkSplitChain } from '../../../src/lib/virtio/split/index.ts';
import { checkedSplitLayout, putDesc, putTableEntry } from '../../support/split-harness.ts';

describe('walkSplitChain (§2.7.5)', () => {
  it('VisitMarks forgets the marks of earlier walks', () => {
    const m = new VisitMarks(4);
    m.begin();
    expect(m.visit(2)).toBe(true);
    expect(m.visit(2)).toBe(false);
    m.begin();
    expect(m.visit(2)).toBe(true);
  });

  it('one set of marks serves many walks over the same descriptors', () => {
    const l = checkedSplitLayout(4);
    putDesc(l, 0, { addr: l.dataAddr, len: 1, flags: VIRTQ_DESC_F_NEXT, next: 1 });
    putDesc(l, 1, { addr: l.dataAddr, len: 1 });
    const marks = new VisitMarks(4);
    for (let i = 0; i < 3; i++) {
      const c = walkSplitChain({ mem: l.mem, descAddr: l.config.descAddr, size: 4, head: 0, limit: 4, indirect: false, marks });
      expect(c.buffers).toHaveLength(2);
    }
  });

  it('[AVP-VQ-9] a huge indirect table is read only as far as the chain goes, and the limit ends a long chain early', () => {
    const l = checkedSplitLayout(4, { indirectSize: 1 << 20 });
    const t = l.indirectArea.addr;
    // 65536 entries, each pointing at the next: the walk stops at the queue size.
    for (let i = 0; i < 8; i++) putTableEntry(l, t, i, { addr: l.dataAddr, len: 1, flags: VIRTQ_DESC_F_NEXT, next: i + 1 });
    putDesc(l, 0, { addr: t, len: 1 << 20, flags: VIRTQ_DESC_F_INDIRECT });
    let code: unknown;
    try {
      walkSplitChain({ mem: l.mem, descAddr: l.config.descAddr, size: 4, head: 0, limit: 4, indirect: true, marks: new VisitMarks(4) });
    } catch (e) {
      code = isVirtqError(e) ? e.code : e;
    }
    expect(code).toBe('CHAIN_TOO_LONG');
    expect(l.mem.violations).toEqual([]);
  });
});
