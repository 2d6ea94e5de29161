// What the virtqueue visualizer draws: the rings of a vector session as tables, decoded from
// guest memory with the reference implementation's own layout readers. Pure data, no DOM, so
// the same view can be checked in a unit test and drawn in a browser.
import { readEventSuppression } from '../virtio/packed/event-suppression.ts';
import {
  readPackedDesc,
  RING_EVENT_FLAGS_DESC,
  RING_EVENT_FLAGS_DISABLE,
  slotAddr,
  VIRTQ_DESC_F_AVAIL,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_USED,
  VIRTQ_DESC_F_WRITE,
} from '../virtio/packed/layout.ts';
import {
  descAddrOf,
  readAvailEntry,
  readAvailEvent,
  readAvailFlags,
  readAvailIdx,
  readSplitDesc,
  readUsedElem,
  readUsedEvent,
  readUsedFlags,
  readUsedIdx,
  VIRTQ_DESC_F_INDIRECT as SPLIT_F_INDIRECT,
  VIRTQ_DESC_F_NEXT as SPLIT_F_NEXT,
  VIRTQ_DESC_F_WRITE as SPLIT_F_WRITE,
} from '../virtio/split/layout.ts';
import type { VectorSession } from './run-vector.ts';

export interface ViewTable {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

export interface RingView {
  readonly tables: readonly ViewTable[];
  /** Side state the rings alone do not show (positions, wrap counters). */
  readonly notes: readonly string[];
}

/** Positions a queue may expose for inspection (both reference rings do). */
interface Inspectable {
  ringState?(): Record<string, number | boolean>;
}

const hex = (n: number | bigint) => `0x${n.toString(16)}`;

function flagNames(flags: number, names: [number, string][]): string {
  const set = names.filter(([bit]) => flags & bit).map(([, n]) => n);
  return set.length ? set.join(' | ') : '0';
}

function stateNotes(session: VectorSession): string[] {
  const show = (who: string, q: unknown) => {
    const st = (q as Inspectable | null)?.ringState?.();
    if (!st) return [];
    return [`${who}: ${Object.entries(st).map(([k, v]) => `${k} ${typeof v === 'boolean' ? (v ? 1 : 0) : v}`).join(', ')}`];
  };
  return [...show('driver', session.driver), ...show('device', session.device)];
}

// #region packed-view
function packedView(session: VectorSession): RingView {
  const { mem, config } = session;
  const rows: string[][] = [];
  for (let i = 0; i < config.size; i++) {
    const d = readPackedDesc(mem, slotAddr(config.descAddr, i));
    const avail = d.flags & VIRTQ_DESC_F_AVAIL ? 1 : 0;
    const used = d.flags & VIRTQ_DESC_F_USED ? 1 : 0;
    const other = flagNames(d.flags, [[VIRTQ_DESC_F_NEXT, 'NEXT'], [VIRTQ_DESC_F_WRITE, 'WRITE'], [VIRTQ_DESC_F_INDIRECT, 'INDIRECT']]);
    rows.push([String(i), hex(d.addr), String(d.len), String(d.id), String(avail), String(used), other]);
  }
  const ev = (name: string, addr: number) => {
    const e = readEventSuppression(mem, addr);
    const mode = e.flags === RING_EVENT_FLAGS_DISABLE ? 'DISABLE' : e.flags === RING_EVENT_FLAGS_DESC ? 'DESC' : e.flags === 0 ? 'ENABLE' : `reserved ${e.flags}`;
    return [name, mode, String(e.offset), e.wrap ? '1' : '0'];
  };
  return {
    tables: [
      { title: `Descriptor ring at ${hex(config.descAddr)}`, columns: ['slot', 'addr', 'len', 'id', 'AVAIL', 'USED', 'flags'], rows },
      {
        title: 'Event suppression',
        columns: ['structure', 'flags', 'off', 'wrap'],
        rows: [ev(`driver (${hex(config.driverAddr)})`, config.driverAddr), ev(`device (${hex(config.deviceAddr)})`, config.deviceAddr)],
      },
    ],
    notes: stateNotes(session),
  };
}
// #endregion packed-view

export function ringView(session: VectorSession): RingView {
  return session.case.ring === 'packed' ? packedView(session) : splitView(session);
}

// #region split-view
function splitView(session: VectorSession): RingView {
  const { mem, config } = session;
  const n = config.size;
  const descs: string[][] = [];
  for (let i = 0; i < n; i++) {
    const d = readSplitDesc(mem, descAddrOf(config.descAddr, i));
    const flags = flagNames(d.flags, [[SPLIT_F_NEXT, 'NEXT'], [SPLIT_F_WRITE, 'WRITE'], [SPLIT_F_INDIRECT, 'INDIRECT']]);
    descs.push([String(i), hex(d.addr), String(d.len), flags, String(d.next)]);
  }
  // The free-running 16-bit indices next to the slot they point at (index mod size).
  const avail: string[][] = [
    ['flags', readAvailFlags(mem, config) & 1 ? 'NO_INTERRUPT' : '0'],
    ['idx', String(readAvailIdx(mem, config))],
    ...Array.from({ length: n }, (_, i) => [`ring[${i}]`, String(readAvailEntry(mem, config, i))]),
    ['used_event', String(readUsedEvent(mem, config))],
  ];
  const used: string[][] = [
    ['flags', readUsedFlags(mem, config) & 1 ? 'NO_NOTIFY' : '0', ''],
    ['idx', String(readUsedIdx(mem, config)), ''],
    ...Array.from({ length: n }, (_, i) => {
      const e = readUsedElem(mem, config, i);
      return [`ring[${i}]`, String(e.id), String(e.len)];
    }),
    ['avail_event', String(readAvailEvent(mem, config)), ''],
  ];
  return {
    tables: [
      { title: `Descriptor table at ${hex(config.descAddr)}`, columns: ['#', 'addr', 'len', 'flags', 'next'], rows: descs },
      { title: `Available ring at ${hex(config.driverAddr)}`, columns: ['field', 'value'], rows: avail },
      { title: `Used ring at ${hex(config.deviceAddr)}`, columns: ['field', 'id / value', 'len'], rows: used },
    ],
    notes: stateNotes(session),
  };
}
// #endregion split-view

/** Cells that differ between two views of the same case: "table/row/column" keys. */
export function changedCells(before: RingView | null, after: RingView): Set<string> {
  const out = new Set<string>();
  if (!before) return out;
  after.tables.forEach((t, ti) =>
    t.rows.forEach((r, ri) =>
      r.forEach((cell, ci) => {
        if (before.tables[ti]?.rows[ri]?.[ci] !== cell) out.add(`${ti}/${ri}/${ci}`);
      }),
    ),
  );
  return out;
}
