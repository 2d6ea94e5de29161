// The platform side: physical Bluetooth controllers, each serving one guest (a controller of its
// own) or several (a shared controller, one virtual controller per guest). Whichever the
// integrator chooses, the same rules hold: a guest receives only the advertisements its policy
// allows, only the events and data of its own connections, and its own address; and when a
// physical controller resets, every guest on it is told and starts again from a clean state.
import { ModelClock } from '../../virtio/model-clock.ts';
import { VirtualController, type GuestPolicy } from './controller.ts';
import { BluetoothDevice, type BluetoothDeviceOptions } from './device.ts';
import { HCI_CONNECTION_TIMEOUT } from './hci.ts';
import type { Advertiser } from './radio.ts';
import { RadioEnvironment } from './radio.ts';


interface PhysicalLink {
  readonly handle: number;
  readonly owner: VirtualController;
  readonly peer: Advertiser;
}

// #region physical-controller
export class PhysicalController {
  readonly id: string;
  readonly radio: RadioEnvironment;
  private readonly guests: VirtualController[] = [];
  private readonly links = new Map<number, PhysicalLink>();
  private nextHandle = 0x0001;
  /** What went out over the air on each link: the peer's inbox, for tests and examples. */
  readonly sent: { handle: number; peer: string; data: Uint8Array }[] = [];
  resets = 0;

  constructor(id: string, radio: RadioEnvironment) {
    this.id = id;
    this.radio = radio;
    radio.onAdvertisement((adv, at) => this.receive(adv, at));
  }

  get now(): number {
    return this.radio.clock.now;
  }

  /** A virtual controller for one guest on this physical controller. */
  addGuest(guest: GuestPolicy): VirtualController {
    if (this.guests.some((g) => g.guest.name === guest.name)) throw new RangeError(`${this.id}: guest ${guest.name} already has a controller here`);
    if (this.guests.some((g) => g.guest.address === guest.address)) throw new RangeError(`${this.id}: address ${guest.address} is another guest's`);
    const vc = new VirtualController(guest, this);
    this.guests.push(vc);
    return vc;
  }

  get shared(): boolean {
    return this.guests.length > 1;
  }

  // #region policy
  /** Each advertisement goes to the guests whose policy names its advertiser, and to no other. */
  private receive(adv: Advertiser, at: number): void {
    for (const vc of this.guests) {
      const sees = vc.guest.sees;
      if (sees === 'all' || sees.includes(adv.name)) vc.onAdvertisement(adv, at);
    }
  }
  // #endregion policy

  // #region links
  /** A link for `owner`; the handle is unique on this controller and never reused while it runs. */
  connect(owner: VirtualController, peer: Advertiser): number {
    const handle = this.nextHandle;
    this.nextHandle = this.nextHandle >= 0x0eff ? 0x0001 : this.nextHandle + 1;
    this.links.set(handle, { handle, owner, peer });
    return handle;
  }

  /** The owner ended the link ('local') or lost it; the physical link goes. */
  release(handle: number, _why: 'local' | 'lost'): void {
    this.links.delete(handle);
  }

  transmit(handle: number, data: Uint8Array): void {
    const l = this.links.get(handle);
    if (l) this.sent.push({ handle, peer: l.peer.name, data: data.slice() });
  }

  /** A peer sends data: it reaches the guest that owns the link to it, only that one. */
  fromPeer(peerName: string, data: Uint8Array): number {
    let n = 0;
    for (const l of this.links.values()) {
      if (l.peer.name !== peerName) continue;
      l.owner.receiveAcl(l.handle, data);
      n++;
    }
    return n;
  }

  /** A peer goes away: its links end with Connection Timeout, told to their owners only. */
  peerGone(peerName: string): void {
    for (const l of [...this.links.values()]) {
      if (l.peer.name !== peerName) continue;
      this.links.delete(l.handle);
      l.owner.linkLost(l.handle, HCI_CONNECTION_TIMEOUT);
    }
  }

  /** Links on this controller, by handle, with their owner's name. */
  linkOwners(): Map<number, string> {
    return new Map([...this.links.values()].map((l) => [l.handle, l.owner.guest.name]));
  }

  /** Keys held for links on this controller, across all guests. */
  keysHeld(): number {
    let n = 0;
    for (const l of this.links.values()) if (l.owner.connections.get(l.handle)?.ltk) n++;
    return n;
  }
  // #endregion links

  // #region reset
  /**
   * The physical controller resets (its firmware crashed, a watchdog fired, the platform
   * reloaded it). Its links are gone; every guest on it is told with a Hardware Error event
   * carrying `code` and its virtual controller starts again from the power-on state.
   */
  reset(code = 0x00): void {
    this.resets++;
    this.links.clear();
    for (const vc of this.guests) vc.physicalReset(code);
  }
  // #endregion reset
}
// #endregion physical-controller

// #region platform
export interface BtPlatformOptions {
  readonly clock?: ModelClock;
  readonly advertisers?: readonly Advertiser[];
  /**
   * Physical controllers and the guests each serves: one guest for a controller of its own,
   * several for a shared one.
   */
  readonly controllers: readonly { readonly id: string; readonly guests: readonly GuestPolicy[] }[];
}

export class BtPlatform {
  readonly clock: ModelClock;
  readonly radio: RadioEnvironment;
  readonly controllers: readonly PhysicalController[];
  private readonly virtuals = new Map<string, VirtualController>();

  constructor(opts: BtPlatformOptions) {
    this.clock = opts.clock ?? new ModelClock();
    this.radio = new RadioEnvironment(this.clock, opts.advertisers ?? []);
    const addresses = new Set<string>();
    this.controllers = opts.controllers.map((c) => {
      const pc = new PhysicalController(c.id, this.radio);
      for (const g of c.guests) {
        if (this.virtuals.has(g.name)) throw new RangeError(`guest ${g.name} is on two controllers`);
        if (addresses.has(g.address)) throw new RangeError(`address ${g.address} given to two guests`);
        addresses.add(g.address);
        this.virtuals.set(g.name, pc.addGuest(g));
      }
      return pc;
    });
  }

  controller(id: string): PhysicalController {
    const c = this.controllers.find((x) => x.id === id);
    if (!c) throw new RangeError(`no physical controller ${id}`);
    return c;
  }

  virtual(guest: string): VirtualController {
    const v = this.virtuals.get(guest);
    if (!v) throw new RangeError(`guest ${guest} has no Bluetooth controller`);
    return v;
  }

  /** The virtio-bt device of one guest. */
  device(guest: string, opts: Omit<BluetoothDeviceOptions, 'controller'> = {}): BluetoothDevice {
    return new BluetoothDevice({ ...opts, controller: this.virtual(guest) });
  }
}
// #endregion platform
