// A minimal IOMMU for tests of the core's DMA path: one endpoint table of mappings, with the
// faults it was told of. The virtio-iommu device model is the real one; this keeps the core's
// tests independent of it.
import type { DmaFault, DmaMapping, DmaTranslation } from '../../src/lib/virtio/dma.ts';

export class TestIommu implements DmaTranslation {
  readonly faults: DmaFault[] = [];
  private readonly table = new Map<number, DmaMapping[] | 'bypass'>();
  private readonly watchers = new Map<number, (() => void)[]>();

  set(endpoint: number, mappings: DmaMapping[] | 'bypass'): void {
    this.table.set(endpoint, mappings);
    for (const w of this.watchers.get(endpoint) ?? []) w();
  }
  mappings(endpoint: number): readonly DmaMapping[] | 'bypass' {
    return this.table.get(endpoint) ?? [];
  }
  watch(endpoint: number, changed: () => void): void {
    this.watchers.set(endpoint, [...(this.watchers.get(endpoint) ?? []), changed]);
  }
  fault(f: DmaFault): void {
    this.faults.push(f);
  }
}

/** Identity mappings (IOVA = guest-physical) of the given ranges. */
export function identity(...ranges: [number, number, { write?: boolean }?][]): DmaMapping[] {
  return ranges.map(([addr, size, o]) => ({ iova: addr, size, gpa: addr, read: true, write: o?.write ?? true }));
}
