// The visualizer's view model: decoded from guest memory by the reference layout readers,
// with the cells a step changed.
import { describe, expect, it } from 'vitest';
import { changedCells, ringView } from '../../../src/lib/conformance/ring-view.ts';
import { VectorSession } from '../../../src/lib/conformance/run-vector.ts';
import type { VectorCase } from '../../../src/lib/conformance/vector-schema.ts';

const packedCase: VectorCase = {
  name: 'one buffer',
  ring: 'packed',
  queueSize: 2,
  features: [],
  memory: { regions: [{ base: '0x0', size: '0x4000' }] },
  queue: { desc: '0x1000', driver: '0x1100', device: '0x1104' },
  steps: [
    { op: 'driver.add', buffers: [{ addr: '0x2000', len: 8, writable: true }] },
    { op: 'device.pop', expect: { chain: { id: 0, buffers: [{ addr: '0x2000', len: 8, writable: true }] } } },
    { op: 'device.push', id: 0, len: 8 },
  ],
};

describe('ringView (packed)', () => {
  it('shows every slot of the descriptor ring and both event suppression structures', () => {
    const v = ringView(new VectorSession(packedCase));
    expect(v.tables[0].rows).toHaveLength(2);
    expect(v.tables[1].rows.map((r) => r[1])).toEqual(['ENABLE', 'ENABLE']);
  });

  it('marks exactly the cells a step wrote', () => {
    const s = new VectorSession(packedCase);
    const v0 = ringView(s);
    s.step(); // driver.add writes slot 0: addr, len, AVAIL and flags
    const v1 = ringView(s);
    expect(v1.tables[0].rows[0]).toEqual(['0', '0x2000', '8', '0', '1', '0', 'WRITE']);
    expect([...changedCells(v0, v1)].sort()).toEqual(['0/0/1', '0/0/2', '0/0/4', '0/0/6']);
    s.step(); // the device only reads
    const v2 = ringView(s);
    expect(changedCells(v1, v2).size).toBe(0);
    s.step(); // the used descriptor: USED now equals AVAIL
    expect(ringView(s).tables[0].rows[0].slice(4, 6)).toEqual(['1', '1']);
  });

  it('reports the wrap counters of both sides', () => {
    const s = new VectorSession(packedCase);
    while (!s.done) s.step();
    expect(ringView(s).notes.join('\n')).toMatch(/device: .*nextUsed 1, usedWrap 1/);
  });
});

describe('ringView (split)', () => {
  const splitCase: VectorCase = { ...packedCase, ring: 'split', queue: { desc: '0x1000', driver: '0x1100', device: '0x1200' } };

  it('shows the descriptor table, the available ring and the used ring with their indices', () => {
    const v = ringView(new VectorSession(splitCase));
    expect(v.tables.map((t) => t.title)).toEqual(['Descriptor table at 0x1000', 'Available ring at 0x1100', 'Used ring at 0x1200']);
    expect(v.tables[1].rows.map((r) => r[0])).toEqual(['flags', 'idx', 'ring[0]', 'ring[1]', 'used_event']);
  });

  it('marks the descriptor, the available entry and idx when the driver adds, and the used entry when the device pushes', () => {
    const s = new VectorSession(splitCase);
    const v0 = ringView(s);
    s.step();
    const v1 = ringView(s);
    const c1 = changedCells(v0, v1);
    expect(c1.has('0/0/1')).toBe(true); // descriptor 0's addr
    expect(c1.has('1/1/1')).toBe(true); // avail idx
    expect([...c1].some((k) => k.startsWith('2/'))).toBe(false); // nothing in the used ring
    s.step();
    s.step();
    const v3 = ringView(s);
    expect(v3.tables[2].rows[1]).toEqual(['idx', '1', '']);
    expect(v3.tables[2].rows[2]).toEqual(['ring[0]', '0', '8']);
  });
});
