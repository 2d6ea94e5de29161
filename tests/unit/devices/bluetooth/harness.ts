// Shared set-up for the Bluetooth tests: a platform with the vehicle radio scene, one or two
// guests on a shared physical controller, each with its virtio-bt device on a Loopback of a
// given ring layout and, where wanted, the guest's host stack on top.
import type { RingType } from '../../../../src/lib/virtio/queue-factory.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { DEVICE_NEEDS_RESET } from '../../../../src/lib/virtio/status.ts';
import * as bt from '../../../../src/lib/devices/bluetooth/index.ts';

export { bt };

export interface Guest {
  dev: bt.BluetoothDevice;
  lb: Loopback;
  vc: bt.VirtualController;
}

export interface Rig {
  platform: bt.BtPlatform;
  ivi: Guest;
  cluster: Guest;
}

/** Both guests on one shared controller 'bt0', policies as in the vehicle scene. */
export function rig(ring: RingType, opts: { backlog?: number; iviSees?: readonly string[] | 'all' } = {}): Rig {
  const platform = new bt.BtPlatform({
    advertisers: bt.vehicleRadioScene(),
    controllers: [
      {
        id: 'bt0',
        guests: [
          { name: 'ivi', address: bt.IVI_ADDRESS, sees: opts.iviSees ?? bt.VEHICLE_SCAN_POLICY.ivi },
          { name: 'cluster', address: bt.CLUSTER_ADDRESS, sees: bt.VEHICLE_SCAN_POLICY.cluster },
        ],
      },
    ],
  });
  const guest = (name: string, r: RingType): Guest => {
    const dev = platform.device(name, { backlog: opts.backlog });
    return { dev, lb: new Loopback(dev, { ring: r }), vc: platform.virtual(name) };
  };
  return { platform, ivi: guest('ivi', ring), cluster: guest('cluster', ring === 'split' ? 'packed' : 'split') };
}

/** One guest alone on a controller of its own, seeing everything. */
export function solo(ring: RingType, opts: { backlog?: number } = {}): Guest & { platform: bt.BtPlatform } {
  const platform = new bt.BtPlatform({ advertisers: bt.vehicleRadioScene(), controllers: [{ id: 'own', guests: [{ name: 'g', address: '02:00:00:00:00:0A', sees: 'all' }] }] });
  const dev = platform.device('g', { backlog: opts.backlog });
  return { platform, dev, lb: new Loopback(dev, { ring }), vc: platform.virtual('g') };
}

const posted = new WeakMap<object, number>();

/** Offers rx buffers (each `size` bytes) without waiting for them. */
export function postRx(g: Guest, n: number, size = 1000): void {
  for (let i = 0; i < n; i++) g.lb.submit(bt.BT_RX_QUEUE, [], [size]);
  posted.set(g.lb, (posted.get(g.lb) ?? 0) + n);
}

/** Keeps `n` rx buffers posted. */
export function topUpRx(g: Guest, n = 4): void {
  const have = posted.get(g.lb) ?? 0;
  if (have < n) postRx(g, n - have);
}

/** Sends raw bytes as one tx chain (optionally split), returns the tx completion's used length. */
export function sendTx(g: Guest, parts: readonly Uint8Array[]): number {
  return g.lb.request(bt.BT_TX_QUEUE, parts, []).len;
}

/** The rx completions so far, decoded (null for anything that is not an event or ACL packet). */
export function rx(g: Guest): { len: number; bytes: Uint8Array; event: bt.HciEvent | null }[] {
  const done = g.lb.poll(bt.BT_RX_QUEUE);
  posted.set(g.lb, (posted.get(g.lb) ?? 0) - done.length);
  return done.map((c) => ({ len: c.len, bytes: c.data, event: c.len > 0 ? bt.decodeControllerPacket(c.data) : null }));
}

/** Sends a command with rx room and returns the events that came back, decoded. */
export function cmd(g: Guest, op: number, params: Uint8Array = new Uint8Array(0)): bt.HciEvent[] {
  topUpRx(g);
  sendTx(g, [bt.commandPacket(op, params)]);
  return rx(g).flatMap((r) => (r.event ? [r.event] : []));
}

/** The single answer of a command: its Command Complete or Command Status. */
export function answer(g: Guest, op: number, params?: Uint8Array): bt.HciEvent {
  const evs = cmd(g, op, params).filter((e) => e.kind === 'command-complete' || e.kind === 'command-status');
  if (evs.length !== 1) throw new Error(`expected one answer, got ${evs.length}`);
  return evs[0];
}

/** The status of a Command Complete (first return parameter) or Command Status. */
export function statusOf(e: bt.HciEvent): number {
  if (e.kind === 'command-complete') return e.ret[0];
  if (e.kind === 'command-status') return e.status;
  throw new Error(`not an answer: ${e.kind}`);
}

export const needsReset = (g: Guest): boolean => (g.lb.status & DEVICE_NEEDS_RESET) !== 0;

export const le16 = (n: number): number[] => [n & 0xff, n >> 8];

export function scanParams(type: number, interval: number, window: number, own = 0, filter = 0): Uint8Array {
  return Uint8Array.of(type, ...le16(interval), ...le16(window), own, filter);
}

export const PHONE = '5A:1C:3E:90:21:7B';

/** LE_Create_Connection parameters, with any field replaced. */
export function createParams(o: Partial<{ scanInterval: number; scanWindow: number; filter: number; peerType: number; peer: string; ownType: number; min: number; max: number; latency: number; timeout: number }> = {}): Uint8Array {
  const c = { scanInterval: 0x60, scanWindow: 0x60, filter: 0, peerType: 1, peer: PHONE, ownType: 0, min: 0x18, max: 0x28, latency: 0, timeout: 0x1f4, ...o };
  return Uint8Array.of(...le16(c.scanInterval), ...le16(c.scanWindow), c.filter, c.peerType, ...bt.addrBytes(c.peer), c.ownType, ...le16(c.min), ...le16(c.max), ...le16(c.latency), ...le16(c.timeout), 0, 0, 0, 0);
}
