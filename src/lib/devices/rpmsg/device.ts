// One guest's rpmsg link to one remote core: the virtio device of ID 7 that Linux's
// virtio_rpmsg_bus binds to, with the platform on the device side. VIRTIO 1.4 reserves the ID
// (§5) and says nothing else, so the device follows what Linux and OpenAMP do (protocol.ts): two
// queues, the driver's receive queue 0 and transmit queue 1; VIRTIO_RPMSG_F_NS; 16-byte headers
// and 512-byte buffers. Where they are silent or lenient the AVP is strict: a message the device
// cannot deliver whole is not delivered, and each such case is a named, counted error; a used
// length is exactly what was written; and a core that goes away is announced (DESTROY), never
// left to look alive with old data behind it.
import { type DescriptorChain, readableBuffers, totalLength } from '../../virtio/chain.ts';
import { readChainPrefix } from '../../virtio/chain-io.ts';
import { type DeviceEnv, VirtioDevice } from '../../virtio/device.ts';
import { VirtqError } from '../../virtio/errors.ts';
import { deliverBacklog, holdsWhole } from '../../virtio/event-delivery.ts';
import { bit, type Features, hasFeature } from '../../virtio/feature-bits.ts';
import * as P from './protocol.ts';

// #region link-errors
/** What the device refuses from the guest or its buffers, each counted by name. */
export const RPMSG_LINK_ERRORS = [
  'SHORT_MESSAGE', // a transmit buffer shorter than the 16-byte header
  'MSG_TOO_LONG', // a transmit buffer longer than the 512-byte buffer size
  'LEN_EXCEEDS_BUFFER', // the header's len is more than the bytes after the header
  'BAD_SOURCE', // src is RPMSG_ADDR_ANY or the name-service address 53, which Linux never sends from
  'NS_BAD_SIZE', // an announcement to address 53 whose payload is not 40 bytes
  'UNKNOWN_DESTINATION', // dst is no endpoint of the core
  'ACCESS_DENIED', // dst is a service this guest was not granted
  'LINK_DOWN', // the core is not running (offline, booting, crashed, failed), or stopped taking messages
  'BAD_RX_BUFFER', // a receive buffer too small for the next message, or with device-readable parts
] as const;
export type RpmsgLinkError = (typeof RPMSG_LINK_ERRORS)[number];

/** Why the core could not send a message to the guest; the sending service is told. */
export type RpmsgSendError =
  | 'PAYLOAD_TOO_LONG' // more than 496 bytes
  | 'BAD_DESTINATION' // RPMSG_ADDR_ANY or the name-service address
  | 'LINK_INACTIVE' // the guest's driver has not set DRIVER_OK, or reset the device
  | 'BACKLOG_FULL'; // the link already holds its bound of undelivered messages
// #endregion link-errors

/** The core as the device sees it (RemoteCore implements it). */
export interface CorePort {
  /** The core runs its services. */
  readonly running: boolean;
  /** The core stopped taking messages and the platform has not detected it yet (a hang). */
  readonly stalled: boolean;
  /** The services this link may be told about, in the order the core made them. */
  granted(link: RpmsgDevice): readonly { readonly addr: number; readonly name: string }[];
  /** Whether `dst` is a service this link may reach: null, or why not. */
  lookup(link: RpmsgDevice, dst: number): 'UNKNOWN_DESTINATION' | 'ACCESS_DENIED' | null;
  /** Hands a message to the service at `dst` (lookup passed). */
  receive(link: RpmsgDevice, src: number, dst: number, payload: Uint8Array): void;
  /** An announcement the guest sent to the core's name service. */
  guestAnnouncement(link: RpmsgDevice, ns: P.NsMessage): void;
  /** The guest side of the link was reset: forget its endpoints. */
  linkReset(link: RpmsgDevice): void;
}

export interface RpmsgDeviceOptions {
  readonly core: CorePort;
  /** The guest this link belongs to. */
  readonly guest: string;
  /** Model time now, in µs (the platform's event time). */
  readonly now: () => number;
  /** Most messages of the core waiting for receive buffers; default 64. Announcements do not count. */
  readonly backlog?: number;
}

export interface RpmsgLinkStats {
  readonly errors: Map<RpmsgLinkError, number>;
  /** Sends of the core refused, by reason. */
  readonly refused: Map<RpmsgSendError, number>;
  /** Guest messages handed to a service or the core's name service. */
  toCore: number;
  /** Messages written into receive buffers, announcements included. */
  toGuest: number;
  /** Messages of the core still undelivered when it crashed: thrown away. */
  discardedAtCrash: number;
  /** Messages of the core still undelivered when the driver reset the device. */
  discardedAtReset: number;
  /** Transmit buffers a stalled core held, handed back (at the crash, or at suspend). */
  returnedHeld: number;
  /** Longest wait of a delivered message between the core's send and a receive buffer, µs. */
  maxWaitUs: number;
}

interface Outbound {
  readonly bytes: Uint8Array;
  readonly sentAt: number;
  /** A name-service announcement: outside the backlog bound, kept at a crash. */
  readonly ns: boolean;
}

export class RpmsgDevice extends VirtioDevice {
  readonly deviceId = P.VIRTIO_ID_RPMSG;
  readonly name = 'virtio-rpmsg';
  readonly guest: string;
  readonly core: CorePort;
  readonly backlog: number;
  readonly stats: RpmsgLinkStats = { errors: new Map(), refused: new Map(), toCore: 0, toGuest: 0, discardedAtCrash: 0, discardedAtReset: 0, returnedHeld: 0, maxWaitUs: 0 };
  private readonly now: () => number;
  private outbound: Outbound[] = [];
  /** Services announced to this guest (CREATE queued, no DESTROY yet): address → name. */
  private readonly announced = new Map<number, string>();
  /** Transmit chains a stalled core has not taken: handed back when the crash is detected. */
  private held: DescriptorChain[] = [];
  private ns = false;
  private suspended = false;

  constructor(opts: RpmsgDeviceOptions) {
    super(0); // Linux's driver reads no configuration space; the device has none
    this.core = opts.core;
    this.guest = opts.guest;
    this.now = opts.now;
    this.backlog = opts.backlog ?? 64;
    if (!Number.isInteger(this.backlog) || this.backlog < 1) throw new RangeError('backlog: at least 1 message');
  }

  protected deviceFeatures(): Features {
    return bit(P.VIRTIO_RPMSG_F_NS);
  }

  queueCount(): number {
    return 2; // rpmsg_probe asks for exactly two: rx ("input"), then tx ("output")
  }

  protected onActivate(env: DeviceEnv): void {
    this.ns = hasFeature(env.features, P.VIRTIO_RPMSG_F_NS);
    this.suspended = false;
    if (this.core.running) this.coreUp();
  }

  protected onReset(): void {
    // The guest's endpoints are gone with its driver: nothing queued for them is delivered
    // later, and the services forget them.
    this.stats.discardedAtReset += this.outbound.filter((m) => !m.ns).length;
    this.outbound = [];
    this.announced.clear();
    this.held = []; // the queues are gone; a reset needs no buffer back
    this.ns = false;
    this.suspended = false;
    this.core.linkReset(this);
  }

  queueNotify(index: number): void {
    if (!this.active || this.suspended) return;
    if (index === P.RPMSG_RX_QUEUE) this.flush();
    else if (index === P.RPMSG_TX_QUEUE) this.serveTx();
  }

  // #region suspend
  /**
   * §3.4: no queue access while suspended. Messages of the core wait in the backlog and are
   * delivered in order on resume; transmit buffers a stalled core holds are handed back now,
   * as LINK_DOWN, since the core will not take them.
   */
  suspend(): void {
    this.returnHeld();
    this.suspended = true;
  }

  resume(): void {
    this.suspended = false;
    this.flush();
    this.serveTx();
  }
  // #endregion suspend

  get isSuspended(): boolean {
    return this.suspended;
  }

  /** Messages of the core waiting for receive buffers (announcements included). */
  get pending(): number {
    return this.outbound.length;
  }

  /** The services this guest has been told of and not told are gone. */
  get announcedServices(): ReadonlyMap<number, string> {
    return this.announced;
  }

  get nsNegotiated(): boolean {
    return this.ns;
  }

  // #region core-events
  /** The core's services exist: tell the guest of each it may use, before any of their messages. */
  coreUp(): void {
    if (!this.active) return;
    if (this.ns) {
      for (const s of this.core.granted(this)) {
        if (this.announced.has(s.addr)) continue;
        this.announced.set(s.addr, s.name);
        this.queueNs(s.addr, s.name, P.RPMSG_NS_CREATE);
      }
    }
    this.flush();
  }

  /**
   * The core's services are gone. After a crash, what the core sent and the guest has not
   * received yet is thrown away: it came from a run that failed, and the guest must not take it
   * for current. Then every service the guest was told of is announced destroyed, so its channels
   * go before anything of a later run can arrive. A driver without VIRTIO_RPMSG_F_NS cannot be
   * told: the device needs a reset (§2.1.2), the one link-down signal VIRTIO has.
   */
  coreDown(crashed: boolean): void {
    this.returnHeld();
    if (!this.active) return;
    if (crashed) {
      this.stats.discardedAtCrash += this.outbound.filter((m) => !m.ns).length;
      this.outbound = this.outbound.filter((m) => m.ns);
    }
    if (!this.ns) {
      this.announced.clear();
      this.env.needsReset(new VirtqError('LINK_DOWN', `the core behind ${this.guest}'s rpmsg link ${crashed ? 'crashed' : 'stopped'}, and VIRTIO_RPMSG_F_NS is not negotiated`));
      return;
    }
    for (const [addr, name] of this.announced) this.queueNs(addr, name, P.RPMSG_NS_DESTROY);
    this.announced.clear();
    this.flush();
  }
  // #endregion core-events

  // #region core-send
  /** A service's message to a guest endpoint: null, or why the core cannot send it. */
  send(src: number, dst: number, payload: Uint8Array): RpmsgSendError | null {
    const refuse = (e: RpmsgSendError) => {
      this.stats.refused.set(e, (this.stats.refused.get(e) ?? 0) + 1);
      return e;
    };
    if (payload.length > P.RPMSG_MAX_PAYLOAD) return refuse('PAYLOAD_TOO_LONG');
    if (dst === P.RPMSG_ADDR_ANY || dst === P.RPMSG_NS_ADDR) return refuse('BAD_DESTINATION');
    if (!this.active) return refuse('LINK_INACTIVE');
    // The bound holds the service back instead of dropping older messages: the service learns
    // its message did not go, as an OpenAMP sender does when no buffer comes (RPMSG_ERR_NO_BUFF).
    if (this.outbound.filter((m) => !m.ns).length >= this.backlog) return refuse('BACKLOG_FULL');
    this.outbound.push({ bytes: P.encodeMessage(src, dst, payload), sentAt: this.now(), ns: false });
    this.flush();
    return null;
  }
  // #endregion core-send

  private queueNs(addr: number, name: string, flags: number): void {
    // src is the service's own address and dst the name service, as OpenAMP's
    // rpmsg_send_ns_message sends them; Linux reads only the payload.
    this.outbound.push({ bytes: P.encodeMessage(addr, P.RPMSG_NS_ADDR, P.encodeNs({ name, addr, flags })), sentAt: this.now(), ns: true });
  }

  // #region deliver
  /** Moves waiting messages into receive buffers, one whole message per buffer, in order. */
  private flush(): void {
    if (!this.active || this.suspended) return;
    const q = this.queue(P.RPMSG_RX_QUEUE);
    if (!q) return;
    const { pushed, error } = deliverBacklog(this.env.mem, q, this.outbound, {
      // A buffer that cannot take the whole message goes back unused; the message waits for the
      // next one. Nothing is ever written truncated.
      fits: (chain, m) => holdsWhole(chain, m.bytes.length),
      encode: (m) => m.bytes, // exactly header plus payload: that is the used length
      delivered: (m) => {
        this.stats.toGuest++;
        this.stats.maxWaitUs = Math.max(this.stats.maxWaitUs, this.now() - m.sentAt);
      },
      rejected: () => this.count('BAD_RX_BUFFER'),
    });
    if (error) return this.env.needsReset(error);
    if (pushed && q.needsNotification()) this.env.notifyUsed(P.RPMSG_RX_QUEUE);
  }
  // #endregion deliver

  // #region transmit
  private serveTx(): void {
    const q = this.queue(P.RPMSG_TX_QUEUE);
    if (!q) return;
    let pushed = false;
    for (;;) {
      const r = q.pop();
      if (r.kind === 'empty') break;
      if (r.kind === 'error') {
        this.env.needsReset(r.error);
        return;
      }
      if (this.takeTx(r.chain) === 'held') {
        this.held.push(r.chain);
        continue;
      }
      // The device writes nothing into a transmit buffer, so its used length is 0 (§2.7.8.2:
      // at least `len` bytes written). OpenAMP reports the buffer's length here instead.
      q.push(r.chain, 0);
      pushed = true;
    }
    if (pushed && q.needsNotification()) this.env.notifyUsed(P.RPMSG_TX_QUEUE);
  }

  /** Checks one guest message and hands it on; 'held' when a stalled core leaves it in the ring. */
  private takeTx(chain: DescriptorChain): 'done' | 'held' {
    const readable = totalLength(readableBuffers(chain));
    if (readable < P.RPMSG_HDR_SIZE) return this.fail('SHORT_MESSAGE');
    if (readable > P.RPMSG_BUF_SIZE) return this.fail('MSG_TOO_LONG');
    const bytes = readChainPrefix(this.env.mem, chain, readable);
    const h = P.decodeHeader(bytes);
    // Linux sends exactly header plus len bytes; a sender with fixed-size buffers (OpenAMP as
    // the driver) may send more, and the bytes past len are ignored. Fewer is never accepted.
    if (h.len > readable - P.RPMSG_HDR_SIZE) return this.fail('LEN_EXCEEDS_BUFFER');
    // Linux refuses to send from RPMSG_ADDR_ANY, and its name-service endpoint (53) sends
    // nothing: an answer to 53 would land in the guest's name service as an announcement.
    if (h.src === P.RPMSG_ADDR_ANY || h.src === P.RPMSG_NS_ADDR) return this.fail('BAD_SOURCE');
    if (!this.core.running) return this.fail('LINK_DOWN');
    const payload = bytes.slice(P.RPMSG_HDR_SIZE, P.RPMSG_HDR_SIZE + h.len);
    if (h.dst === P.RPMSG_NS_ADDR && this.ns) {
      // rpmsg_ns_cb refuses any other size as "malformed ns msg"; so does the core's side.
      if (h.len !== P.RPMSG_NS_MSG_SIZE) return this.fail('NS_BAD_SIZE');
      if (this.core.stalled) return 'held';
      this.core.guestAnnouncement(this, P.decodeNs(payload));
      this.stats.toCore++;
      return 'done';
    }
    const bad = this.core.lookup(this, h.dst);
    if (bad) return this.fail(bad);
    if (this.core.stalled) return 'held';
    this.stats.toCore++;
    this.core.receive(this, h.src, h.dst, payload);
    return 'done';
  }
  // #endregion transmit

  /** Hands back every transmit buffer a stalled core held, as LINK_DOWN. */
  private returnHeld(): void {
    const held = this.held;
    this.held = [];
    const q = this.queue(P.RPMSG_TX_QUEUE);
    if (!q || held.length === 0 || !this.active) return;
    for (const c of held) {
      this.count('LINK_DOWN');
      q.push(c, 0);
    }
    this.stats.returnedHeld += held.length;
    if (q.needsNotification()) this.env.notifyUsed(P.RPMSG_TX_QUEUE);
  }

  /** Transmit buffers a stalled core has not taken. */
  get heldCount(): number {
    return this.held.length;
  }

  private fail(e: RpmsgLinkError): 'done' {
    this.count(e);
    return 'done';
  }

  private count(e: RpmsgLinkError): void {
    this.stats.errors.set(e, (this.stats.errors.get(e) ?? 0) + 1);
  }

  /** Errors counted so far of one kind. */
  errors(e: RpmsgLinkError): number {
    return this.stats.errors.get(e) ?? 0;
  }
}
