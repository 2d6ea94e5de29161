// The control virtqueue (VIRTIO 1.4 §5.1.9.5). A request is struct virtio_net_ctrl: a class
// byte, a command byte and command-specific data in device-readable buffers, then one
// device-writable `ack` byte. This file holds the numbers, encoders a driver uses, and the
// device's parser, which turns the driver's bytes into a command or a reason to answer ERR.
import { type Features, hasFeature } from '../../virtio/feature-bits.ts';
import { ETH_ALEN, isMulticast } from './ethernet.ts';
import {
  VIRTIO_NET_F_CTRL_MAC_ADDR,
  VIRTIO_NET_F_CTRL_RX,
  VIRTIO_NET_F_CTRL_RX_EXTRA,
  VIRTIO_NET_F_CTRL_VLAN,
  VIRTIO_NET_F_GUEST_ANNOUNCE,
  VIRTIO_NET_F_MQ,
} from './features.ts';

// #region ctrl-constants
export const VIRTIO_NET_OK = 0;
export const VIRTIO_NET_ERR = 1;

export const VIRTIO_NET_CTRL_RX = 0;
export const VIRTIO_NET_CTRL_RX_PROMISC = 0;
export const VIRTIO_NET_CTRL_RX_ALLMULTI = 1;
export const VIRTIO_NET_CTRL_RX_ALLUNI = 2;
export const VIRTIO_NET_CTRL_RX_NOMULTI = 3;
export const VIRTIO_NET_CTRL_RX_NOUNI = 4;
export const VIRTIO_NET_CTRL_RX_NOBCAST = 5;

export const VIRTIO_NET_CTRL_MAC = 1;
export const VIRTIO_NET_CTRL_MAC_TABLE_SET = 0;
export const VIRTIO_NET_CTRL_MAC_ADDR_SET = 1;

export const VIRTIO_NET_CTRL_VLAN = 2;
export const VIRTIO_NET_CTRL_VLAN_ADD = 0;
export const VIRTIO_NET_CTRL_VLAN_DEL = 1;

export const VIRTIO_NET_CTRL_ANNOUNCE = 3;
export const VIRTIO_NET_CTRL_ANNOUNCE_ACK = 0;

export const VIRTIO_NET_CTRL_MQ = 4;
export const VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET = 0;
export const VIRTIO_NET_CTRL_MQ_RSS_CONFIG = 1;
export const VIRTIO_NET_CTRL_MQ_HASH_CONFIG = 2;

// Classes this model does not implement; listed so that tests and logs can name them.
export const VIRTIO_NET_CTRL_GUEST_OFFLOADS = 5;
export const VIRTIO_NET_CTRL_NOTF_COAL = 6;
export const VIRTIO_NET_CTRL_HASH_TUNNEL = 7;
export const VIRTIO_NET_CTRL_STATS = 8;
export const VIRTIO_NET_CTRL_RSS_CTX = 9; // VIRTNET_RSS_CTX_CTRL in §5.1.9.5
// #endregion ctrl-constants

export type RxMode = 'promisc' | 'allmulti' | 'alluni' | 'nomulti' | 'nouni' | 'nobcast';
const RX_MODES: readonly RxMode[] = ['promisc', 'allmulti', 'alluni', 'nomulti', 'nouni', 'nobcast'];

/** A control request the device understood and may carry out. */
export type ControlCommand =
  | { readonly kind: 'rx-mode'; readonly mode: RxMode; readonly on: boolean }
  | { readonly kind: 'mac-table'; readonly unicast: readonly Uint8Array[]; readonly multicast: readonly Uint8Array[] }
  | { readonly kind: 'mac-addr'; readonly mac: Uint8Array }
  | { readonly kind: 'vlan'; readonly add: boolean; readonly vid: number }
  | { readonly kind: 'announce-ack' }
  | { readonly kind: 'mq-pairs'; readonly pairs: number };

export type ParsedControl = { readonly ok: true; readonly command: ControlCommand } | { readonly ok: false; readonly reason: string };

// #region parse-control
/**
 * Parses the device-readable bytes of a control request. Every failure is a reason for
 * VIRTIO_NET_ERR: unknown class or command, a command whose feature was not negotiated,
 * data of the wrong length, or a value out of range. Never throws.
 */
export function parseControl(req: Uint8Array, features: Features, maxPairs: number): ParsedControl {
  const err = (reason: string): ParsedControl => ({ ok: false, reason });
  if (req.length < 2) return err(`request of ${req.length} byte(s) has no class and command`);
  const [cls, cmd] = req;
  const data = req.subarray(2);
  const has = (bit: number) => hasFeature(features, bit);
  switch (cls) {
    case VIRTIO_NET_CTRL_RX: {
      if (cmd > VIRTIO_NET_CTRL_RX_NOBCAST) return err(`unknown RX command ${cmd}`);
      // PROMISC and ALLMULTI come with CTRL_RX, the other four with CTRL_RX_EXTRA.
      const needed = cmd <= VIRTIO_NET_CTRL_RX_ALLMULTI ? VIRTIO_NET_F_CTRL_RX : VIRTIO_NET_F_CTRL_RX_EXTRA;
      if (!has(needed)) return err(`RX command ${cmd} needs feature ${needed}`);
      if (data.length !== 1 || data[0] > 1) return err('RX command data is one byte, 0 or 1');
      return { ok: true, command: { kind: 'rx-mode', mode: RX_MODES[cmd], on: data[0] === 1 } };
    }
    case VIRTIO_NET_CTRL_MAC:
      if (cmd === VIRTIO_NET_CTRL_MAC_TABLE_SET) {
        if (!has(VIRTIO_NET_F_CTRL_RX)) return err('MAC_TABLE_SET needs VIRTIO_NET_F_CTRL_RX');
        return parseMacTables(data);
      }
      if (cmd === VIRTIO_NET_CTRL_MAC_ADDR_SET) {
        if (!has(VIRTIO_NET_F_CTRL_MAC_ADDR)) return err('MAC_ADDR_SET needs VIRTIO_NET_F_CTRL_MAC_ADDR');
        if (data.length !== ETH_ALEN) return err('MAC_ADDR_SET data is 6 bytes');
        if (isMulticast(data) || data.every((b) => b === 0)) return err('MAC_ADDR_SET needs a unicast, non-zero address');
        return { ok: true, command: { kind: 'mac-addr', mac: new Uint8Array(data) } };
      }
      return err(`unknown MAC command ${cmd}`);
    case VIRTIO_NET_CTRL_VLAN: {
      if (!has(VIRTIO_NET_F_CTRL_VLAN)) return err('VLAN commands need VIRTIO_NET_F_CTRL_VLAN');
      if (cmd !== VIRTIO_NET_CTRL_VLAN_ADD && cmd !== VIRTIO_NET_CTRL_VLAN_DEL) return err(`unknown VLAN command ${cmd}`);
      if (data.length !== 2) return err('VLAN data is a le16 VLAN id');
      const vid = data[0] | (data[1] << 8);
      if (vid > 4095) return err(`VLAN id ${vid} above 4095`);
      return { ok: true, command: { kind: 'vlan', add: cmd === VIRTIO_NET_CTRL_VLAN_ADD, vid } };
    }
    case VIRTIO_NET_CTRL_ANNOUNCE:
      if (!has(VIRTIO_NET_F_GUEST_ANNOUNCE)) return err('ANNOUNCE needs VIRTIO_NET_F_GUEST_ANNOUNCE');
      if (cmd !== VIRTIO_NET_CTRL_ANNOUNCE_ACK) return err(`unknown ANNOUNCE command ${cmd}`);
      if (data.length !== 0) return err('ANNOUNCE_ACK carries no data');
      return { ok: true, command: { kind: 'announce-ack' } };
    case VIRTIO_NET_CTRL_MQ: {
      // RSS_CONFIG and HASH_CONFIG belong to VIRTIO_NET_F_RSS / HASH_REPORT, not offered here.
      if (cmd !== VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET) return err(`MQ command ${cmd} not supported`);
      if (!has(VIRTIO_NET_F_MQ)) return err('VQ_PAIRS_SET needs VIRTIO_NET_F_MQ');
      if (data.length !== 2) return err('VQ_PAIRS_SET data is a le16');
      const pairs = data[0] | (data[1] << 8);
      if (pairs < 1 || pairs > maxPairs) return err(`virtqueue_pairs ${pairs} outside 1..${maxPairs}`);
      return { ok: true, command: { kind: 'mq-pairs', pairs } };
    }
    default:
      return err(`class ${cls} not supported`);
  }
}

/** struct virtio_net_ctrl_mac twice: unicast entries, then multicast entries (§5.1.9.5). */
function parseMacTables(data: Uint8Array): ParsedControl {
  const tables: Uint8Array[][] = [];
  let at = 0;
  for (const kind of ['unicast', 'multicast'] as const) {
    if (at + 4 > data.length) return { ok: false, reason: `MAC_TABLE_SET: ${kind} entry count missing` };
    const n = (data[at] | (data[at + 1] << 8) | (data[at + 2] << 16) | (data[at + 3] << 24)) >>> 0;
    at += 4;
    if (n > (data.length - at) / ETH_ALEN) return { ok: false, reason: `MAC_TABLE_SET: ${n} ${kind} entries do not fit` };
    const macs: Uint8Array[] = [];
    for (let i = 0; i < n; i++, at += ETH_ALEN) {
      const mac = new Uint8Array(data.subarray(at, at + ETH_ALEN));
      if (isMulticast(mac) !== (kind === 'multicast')) return { ok: false, reason: `MAC_TABLE_SET: entry ${i} is not a ${kind} address` };
      macs.push(mac);
    }
    tables.push(macs);
  }
  if (at !== data.length) return { ok: false, reason: `MAC_TABLE_SET: ${data.length - at} trailing byte(s)` };
  return { ok: true, command: { kind: 'mac-table', unicast: tables[0], multicast: tables[1] } };
}
// #endregion parse-control

// ---- Encoders: what a driver puts in the device-readable part of a request. ----

export function ctrlRequest(cls: number, cmd: number, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(2 + data.length);
  out[0] = cls;
  out[1] = cmd;
  out.set(data, 2);
  return out;
}

export function ctrlRxMode(cmd: number, on: boolean): Uint8Array {
  return ctrlRequest(VIRTIO_NET_CTRL_RX, cmd, new Uint8Array([on ? 1 : 0]));
}

export function ctrlMacTable(unicast: readonly Uint8Array[], multicast: readonly Uint8Array[]): Uint8Array {
  const data = new Uint8Array(8 + ETH_ALEN * (unicast.length + multicast.length));
  const v = new DataView(data.buffer);
  let at = 0;
  for (const table of [unicast, multicast]) {
    v.setUint32(at, table.length, true);
    at += 4;
    for (const mac of table) {
      data.set(mac, at);
      at += ETH_ALEN;
    }
  }
  return ctrlRequest(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, data);
}

export function ctrlMacAddr(mac: Uint8Array): Uint8Array {
  return ctrlRequest(VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, mac);
}

export function ctrlVlan(add: boolean, vid: number): Uint8Array {
  return ctrlRequest(VIRTIO_NET_CTRL_VLAN, add ? VIRTIO_NET_CTRL_VLAN_ADD : VIRTIO_NET_CTRL_VLAN_DEL, new Uint8Array([vid & 0xff, vid >> 8]));
}

export function ctrlMqPairs(pairs: number): Uint8Array {
  return ctrlRequest(VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, new Uint8Array([pairs & 0xff, (pairs >> 8) & 0xff]));
}

export function ctrlAnnounceAck(): Uint8Array {
  return ctrlRequest(VIRTIO_NET_CTRL_ANNOUNCE, VIRTIO_NET_CTRL_ANNOUNCE_ACK);
}
