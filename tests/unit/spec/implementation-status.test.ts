// The implementation-status schema: a malformed table is refused with the path of the field at
// fault, and the shipped table parses with a source on every cell that is not "unknown".
import { describe, expect, it } from 'vitest';
import {
  CATEGORY_IDS,
  IMPLEMENTATION_IDS,
  parseImplementationStatus,
  parseSource,
  refLabel,
  statusCounts,
} from '../../../src/lib/spec/implementation-status.ts';
import { loadImplementationStatus } from '../../../src/lib/spec/implementation-status-files.ts';

const FILE = 'implementation-status.yaml';

/** A valid table: every category absent everywhere, each cell sourced at tag v1. */
function table() {
  return {
    checked: '2026-08-24',
    implementations: IMPLEMENTATION_IDS.map((id) => ({ id, name: id, repo: `owner/${id}`, kind: 'VMM', url: 'https://example.org/', refs: { v1: { date: '2025-01-01' } } })),
    categories: CATEGORY_IDS.map((id) => ({
      id,
      name: id,
      virtioDeviceIds: [2],
      cells: Object.fromEntries(IMPLEMENTATION_IDS.map((impl) => [impl, { status: 'absent', sources: ['src/@v1'] } as Record<string, unknown>])),
    })),
  };
}
const parse = (raw: unknown, slugs?: Set<string>) => parseImplementationStatus(FILE, raw, slugs);

describe('implementation-status schema', () => {
  it('accepts a complete table and counts its cells', () => {
    const t = table();
    t.categories[0].cells.qemu = { status: 'both', sources: ['hw/a.c@v1', 'hw/b.c@v1'] };
    t.categories[1].cells.xen = { status: 'unknown', note: 'looked in tools/' };
    const counts = statusCounts(parse(t));
    expect(counts.both).toBe(1);
    expect(counts.unknown).toBe(1);
    expect(counts.absent).toBe(CATEGORY_IDS.length * IMPLEMENTATION_IDS.length - 2);
  });

  it('refuses a present cell without a source, naming the field', () => {
    const t = table();
    t.categories[0].cells.qemu = { status: 'back-end' };
    expect(() => parse(t)).toThrow('field "categories.0.cells.qemu.sources": a source is required for status "back-end"');
    t.categories[0].cells.qemu = { status: 'absent', sources: [] };
    expect(() => parse(t)).toThrow('field "categories.0.cells.qemu.sources"');
  });

  it('refuses a source that is not "path@ref", naming the field', () => {
    const t = table();
    t.categories[2].cells.acrn = { status: 'back-end', sources: ['devicemodel/hw/virtio_block.c'] };
    expect(() => parse(t)).toThrow(/field "categories\.2\.cells\.acrn\.sources\.0": a source "path@ref"/);
  });

  it('refuses a ref its implementation does not declare, naming the field', () => {
    const t = table();
    t.categories[3].cells.crosvm = { status: 'back-end', sources: ['devices/src/virtio/console.rs@v9'] };
    expect(() => parse(t)).toThrow('field "categories.3.cells.crosvm.sources.0": ref "v9" is not declared in the refs of implementation "crosvm"');
  });

  it('refuses an unknown status, naming the field', () => {
    const t = table();
    t.categories[0].cells.xvisor = { status: 'partial', sources: ['emulators/@v1'] };
    expect(() => parse(t)).toThrow(/field "categories\.0\.cells\.xvisor\.status"/);
  });

  it('refuses an unknown cell without a note of what was looked for', () => {
    const t = table();
    t.categories[0].cells.xen = { status: 'unknown' };
    expect(() => parse(t)).toThrow('field "categories.0.cells.xen.note": an "unknown" cell needs a note of what was looked for');
  });

  it('refuses an unknown category, naming the field', () => {
    const t = table();
    t.categories[4].id = 'teleporter' as (typeof CATEGORY_IDS)[number];
    expect(() => parse(t)).toThrow(/field "categories\.4\.id"/);
  });

  it('refuses a category listed twice or left out', () => {
    const t = table();
    t.categories[1].id = t.categories[0].id;
    expect(() => parse(t)).toThrow('field "categories.1.id": "block" is listed twice');
    const u = table();
    u.categories.pop();
    expect(() => parse(u)).toThrow(`field "categories": "${CATEGORY_IDS.at(-1)}" is missing`);
  });

  it('refuses an unknown implementation, in the columns or as a cell, naming the field', () => {
    const t = table();
    t.implementations[0].id = 'kvmtool' as (typeof IMPLEMENTATION_IDS)[number];
    expect(() => parse(t)).toThrow(/field "implementations\.0\.id"/);
    const u = table();
    u.categories[5].cells.kvmtool = { status: 'absent', sources: ['x@v1'] };
    expect(() => parse(u)).toThrow('field "categories.5.cells.kvmtool": no implementation "kvmtool"');
  });

  it('refuses a missing cell and an unknown chapter, naming the field', () => {
    const t = table();
    delete t.categories[6].cells['vhost-device'];
    expect(() => parse(t)).toThrow('field "categories.6.cells.vhost-device": the cell of category "filesystem" for "vhost-device" is missing');
    const u = table();
    (u.categories[0] as { chapter?: string }).chapter = 'no-such-chapter';
    expect(() => parse(u, new Set(['block']))).toThrow('field "categories.0.chapter": no chapter "no-such-chapter"');
  });

  it('links a file as a blob and a folder as a tree, at the ref', () => {
    const data = parse(table());
    const impl = data.implementations[0];
    expect(parseSource(impl, 'hw/virtio/vhost-user-scmi.c@v1')).toEqual({ path: 'hw/virtio/vhost-user-scmi.c', ref: 'v1', date: '2025-01-01', url: 'https://github.com/owner/qemu/blob/v1/hw/virtio/vhost-user-scmi.c' });
    expect(parseSource(impl, 'hw/virtio/@v1').url).toBe('https://github.com/owner/qemu/tree/v1/hw/virtio');
    expect(refLabel({ path: 'a', ref: 'f1e797a68dada35cbafef8d0cfae36bacfaea85e', url: '' })).toBe('commit f1e797a68dad');
  });
});

describe('the shipped implementation-status table', () => {
  const data = loadImplementationStatus();

  it('has every category and implementation, and a source on every cell that is not unknown', () => {
    expect(data.categories.map((c) => c.id)).toEqual([...CATEGORY_IDS]);
    for (const cat of data.categories) {
      for (const id of IMPLEMENTATION_IDS) {
        const cell = cat.cells[id];
        if (cell.status === 'unknown') expect(cell.note, `${cat.id}/${id}`).toBeTruthy();
        else expect(cell.sources?.length, `${cat.id}/${id}`).toBeGreaterThan(0);
      }
    }
  });

  it('records Xvisor with exactly the five device emulators of its source tree', () => {
    const present = data.categories.filter((c) => c.cells.xvisor.status !== 'absent' && c.cells.xvisor.status !== 'unknown').map((c) => c.id);
    expect(present.sort()).toEqual(['block', 'console', 'input', 'network', 'rpmsg']);
  });
});
