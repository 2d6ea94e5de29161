// An in-memory Ethernet switch (IEEE 802.1Q bridge, much simplified) that joins network
// devices of several guests and test taps. It learns source addresses per VLAN, forwards
// known unicast to one port and floods the rest within the VLAN, and keeps VLANs apart:
// an access port carries one VLAN untagged, a trunk port carries a set of VLANs tagged.
// Delivery is synchronous and in order; no timing or shaping is modelled.
import type { NetBackend, NetEndpoint, RxResult } from './backend.ts';
import {
  formatMac,
  isLinkLocalReserved,
  isMulticast,
  macEquals,
  parseFrame,
  toMac,
  untag,
  type VlanTag,
  withTag,
} from './ethernet.ts';

export interface AccessPortOptions {
  readonly mode?: 'access';
  /** The VLAN the port belongs to; default 1. */
  readonly vlan?: number;
  /** The priority (PCP, 0..7) the port's frames carry on trunk ports; default 0. */
  readonly priority?: number;
}

export interface TrunkPortOptions {
  readonly mode: 'trunk';
  /** VLANs carried tagged. */
  readonly vlans: readonly number[];
  /** A VLAN carried untagged, if any. */
  readonly nativeVlan?: number;
  /** Priority given to untagged (native VLAN) frames; default 0. */
  readonly priority?: number;
}

export type PortOptions = (AccessPortOptions | TrunkPortOptions) & {
  readonly name?: string;
  /** If set, frames whose source address is not this one are dropped (anti-spoofing). */
  readonly lockedSource?: Uint8Array | string;
};

export type SwitchDropReason =
  | 'runt' // shorter than an Ethernet header (or a truncated tag)
  | 'bad-source' // a group address as source
  | 'spoofed-source' // not the port's locked source address
  | 'tagged-on-access' // a tagged or priority-tagged frame from an access port
  | 'vlan-not-allowed' // a tag for a VLAN the trunk does not carry
  | 'untagged-on-trunk' // untagged on a trunk without a native VLAN
  | 'link-local' // 01-80-C2-00-00-0x: never forwarded by a bridge
  | 'same-port'; // the destination was learned on the ingress port

export interface PortCounters {
  /** Frames the endpoint sent into the switch. */
  fromEndpoint: number;
  /** Frames the switch delivered to the endpoint. */
  toEndpoint: number;
  /** Frames the endpoint refused (its RxResult was not 'delivered'). */
  refused: number;
}

export class SwitchPort implements NetBackend {
  readonly id: number;
  readonly name: string;
  readonly endpoint: NetEndpoint;
  readonly mode: 'access' | 'trunk';
  readonly vlans: ReadonlySet<number>;
  readonly untaggedVlan: number | null;
  readonly priority: number;
  readonly lockedSource: Uint8Array | null;
  readonly counters: PortCounters = { fromEndpoint: 0, toEndpoint: 0, refused: 0 };
  private readonly sw: VirtualSwitch;

  constructor(sw: VirtualSwitch, id: number, endpoint: NetEndpoint, opts: PortOptions) {
    this.sw = sw;
    this.id = id;
    this.endpoint = endpoint;
    this.name = opts.name ?? `port${id}`;
    this.priority = opts.priority ?? 0;
    if (!Number.isInteger(this.priority) || this.priority < 0 || this.priority > 7) throw new RangeError(`priority ${this.priority} outside 0..7`);
    this.lockedSource = opts.lockedSource === undefined ? null : toMac(opts.lockedSource);
    if (opts.mode === 'trunk') {
      this.mode = 'trunk';
      this.untaggedVlan = opts.nativeVlan ?? null;
      this.vlans = new Set([...opts.vlans, ...(opts.nativeVlan !== undefined ? [opts.nativeVlan] : [])]);
    } else {
      this.mode = 'access';
      this.untaggedVlan = opts.vlan ?? 1;
      this.vlans = new Set([this.untaggedVlan]);
    }
    for (const v of this.vlans) if (!Number.isInteger(v) || v < 1 || v > 4094) throw new RangeError(`VLAN ${v} outside 1..4094`);
  }

  /** The endpoint transmits a frame into the switch. */
  send(frame: Uint8Array): void {
    this.counters.fromEndpoint++;
    this.sw.forward(this, frame);
  }
}

/** A frame inside the switch: untagged bytes plus the VLAN and priority it was classified to. */
interface Classified {
  readonly frame: Uint8Array;
  readonly tag: VlanTag;
}

export class VirtualSwitch {
  readonly ports: SwitchPort[] = [];
  readonly drops: Record<SwitchDropReason, number> = {
    runt: 0, 'bad-source': 0, 'spoofed-source': 0, 'tagged-on-access': 0, 'vlan-not-allowed': 0,
    'untagged-on-trunk': 0, 'link-local': 0, 'same-port': 0,
  };
  /** Learned addresses: "vid/mac" -> port. */
  private readonly fdb = new Map<string, SwitchPort>();
  private nextId = 0;

  /** Connects an endpoint (a device or a tap) to a new port. */
  plug(endpoint: NetEndpoint, opts: PortOptions = {}): SwitchPort {
    const port = new SwitchPort(this, this.nextId++, endpoint, opts);
    this.ports.push(port);
    endpoint.connect(port);
    return port;
  }

  unplug(port: SwitchPort): void {
    const i = this.ports.indexOf(port);
    if (i < 0) return;
    this.ports.splice(i, 1);
    port.endpoint.connect(null);
    for (const [k, p] of this.fdb) if (p === port) this.fdb.delete(k);
  }

  /** The port an address was learned on in a VLAN, if any. */
  lookup(vid: number, mac: Uint8Array | string): SwitchPort | null {
    return this.fdb.get(`${vid}/${formatMac(toMac(mac))}`) ?? null;
  }

  // #region ingress-vlan
  /** Assigns a frame to a VLAN and priority at its ingress port, or names why it is dropped. */
  private classify(port: SwitchPort, frame: Uint8Array): Classified | SwitchDropReason {
    const p = parseFrame(frame);
    if (!p) return 'runt';
    if (isMulticast(p.src)) return 'bad-source';
    if (port.lockedSource && !macEquals(p.src, port.lockedSource)) return 'spoofed-source';
    if (port.mode === 'access') {
      // A guest on an access port cannot choose its VLAN or its priority by tagging.
      if (p.vlan) return 'tagged-on-access';
      return { frame, tag: { pcp: port.priority, dei: false, vid: port.untaggedVlan! } };
    }
    if (p.vlan && p.vlan.vid !== 0) {
      if (!port.vlans.has(p.vlan.vid)) return 'vlan-not-allowed';
      return { frame: untag(frame), tag: p.vlan };
    }
    // Untagged, or priority-tagged (VID 0): the native VLAN, keeping a priority tag's PCP.
    if (port.untaggedVlan === null) return 'untagged-on-trunk';
    return { frame: untag(frame), tag: { pcp: p.vlan ? p.vlan.pcp : port.priority, dei: p.vlan?.dei ?? false, vid: port.untaggedVlan } };
  }
  // #endregion ingress-vlan

  // #region forward
  /** Forwards a frame that entered at `ingress`. */
  forward(ingress: SwitchPort, frame: Uint8Array): void {
    const c = this.classify(ingress, frame);
    if (typeof c === 'string') {
      this.drops[c]++;
      return;
    }
    const dst = c.frame.subarray(0, 6);
    if (isLinkLocalReserved(dst)) {
      this.drops['link-local']++;
      return;
    }
    const vid = c.tag.vid;
    this.fdb.set(`${vid}/${formatMac(c.frame.subarray(6, 12))}`, ingress);
    const known = isMulticast(dst) ? undefined : this.fdb.get(`${vid}/${formatMac(dst)}`);
    if (known === ingress) {
      this.drops['same-port']++;
      return;
    }
    // Known unicast goes to its one port; everything else floods the VLAN, never back out
    // of the ingress port and never into another VLAN.
    const egress = known ? [known] : this.ports.filter((p) => p !== ingress && p.vlans.has(vid));
    for (const port of egress) this.deliver(port, c);
  }
  // #endregion forward

  // #region egress-tag
  private deliver(port: SwitchPort, c: Classified): void {
    // The native / access VLAN leaves untagged; any other VLAN leaves tagged with the
    // priority and DEI the frame entered with.
    const out = c.tag.vid === port.untaggedVlan ? new Uint8Array(c.frame) : withTag(c.frame, c.tag);
    port.counters.toEndpoint++;
    const r: RxResult = port.endpoint.receive(out);
    if (r !== 'delivered') port.counters.refused++;
  }
  // #endregion egress-tag
}
