// Receive filtering (VIRTIO 1.4 §5.1.9.5): which incoming frames the device hands to the
// driver, set by the RX mode commands, the MAC table and the VLAN table. The state here is
// what a reset returns to: every mode off, both MAC tables and the VLAN table empty.
import { type Features, hasFeature } from '../../virtio/feature-bits.ts';
import type { ControlCommand, RxMode } from './control.ts';
import { ETH_P_8021Q, isBroadcast, isMulticast, macEquals } from './ethernet.ts';
import { VIRTIO_NET_F_CTRL_RX, VIRTIO_NET_F_CTRL_VLAN } from './features.ts';

export type FilterVerdict = 'accept' | 'unicast' | 'multicast' | 'broadcast' | 'vlan';

export class RxFilter {
  readonly modes: Record<RxMode, boolean> = { promisc: false, allmulti: false, alluni: false, nomulti: false, nouni: false, nobcast: false };
  unicast: Uint8Array[] = [];
  multicast: Uint8Array[] = [];
  /** Set when a MAC table had more entries than the device keeps: that class is then let through. */
  unicastOverflow = false;
  multicastOverflow = false;
  readonly vlans = new Set<number>();
  private readonly tableSize: number;

  constructor(tableSize: number) {
    this.tableSize = tableSize;
  }

  reset(): void {
    for (const k of Object.keys(this.modes) as RxMode[]) this.modes[k] = false;
    this.unicast = [];
    this.multicast = [];
    this.unicastOverflow = false;
    this.multicastOverflow = false;
    this.vlans.clear();
  }

  /** Applies a filtering command; other commands are not the filter's business. */
  apply(cmd: ControlCommand): void {
    if (cmd.kind === 'rx-mode') this.modes[cmd.mode] = cmd.on;
    else if (cmd.kind === 'vlan') {
      if (cmd.add) this.vlans.add(cmd.vid);
      else this.vlans.delete(cmd.vid);
    } else if (cmd.kind === 'mac-table') {
      // More addresses than the table holds: accept the whole class rather than drop wanted
      // frames (§5.1.9.5 allows falling back to all-multicast or promiscuous reception).
      this.unicastOverflow = cmd.unicast.length > this.tableSize;
      this.multicastOverflow = cmd.multicast.length > this.tableSize;
      this.unicast = this.unicastOverflow ? [] : cmd.unicast.map((m) => new Uint8Array(m));
      this.multicast = this.multicastOverflow ? [] : cmd.multicast.map((m) => new Uint8Array(m));
    }
  }

  // #region rx-filter
  /**
   * Decides whether `frame` reaches the driver. `ownMac` is the address the driver uses, or
   * null if the device cannot know it (neither VIRTIO_NET_F_MAC nor MAC_ADDR_SET): then no
   * unicast filtering is possible. Without VIRTIO_NET_F_CTRL_RX the driver has no way to
   * ask for multicast groups, so every multicast frame is let through.
   */
  verdict(frame: Uint8Array, ownMac: Uint8Array | null, features: Features): FilterVerdict {
    const m = this.modes;
    if (m.promisc) return 'accept'; // wins over every other mode (§5.1.9.5)
    if (hasFeature(features, VIRTIO_NET_F_CTRL_VLAN) && frame.length >= 16 && ((frame[12] << 8) | frame[13]) === ETH_P_8021Q) {
      const vid = ((frame[14] << 8) | frame[15]) & 0xfff;
      if (!this.vlans.has(vid)) return 'vlan';
    }
    const dst = frame.subarray(0, 6);
    if (isBroadcast(dst)) return m.nobcast ? 'broadcast' : 'accept';
    if (isMulticast(dst)) {
      if (m.nomulti) return 'multicast'; // even with ALLMULTI on
      if (m.allmulti || this.multicastOverflow || !hasFeature(features, VIRTIO_NET_F_CTRL_RX)) return 'accept';
      return this.multicast.some((a) => macEquals(a, dst)) ? 'accept' : 'multicast';
    }
    if (m.nouni) return 'unicast'; // even with ALLUNI on
    if (m.alluni || this.unicastOverflow || ownMac === null) return 'accept';
    if (macEquals(dst, ownMac) || this.unicast.some((a) => macEquals(a, dst))) return 'accept';
    return 'unicast';
  }
  // #endregion rx-filter
}
