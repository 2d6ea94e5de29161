// The AVP watchdog: a platform service, not an emulated device. VIRTIO 1.4 reserves device ID 35
// for a watchdog but specifies no protocol, and the Architecture chapter lets a platform emulate
// a UART only, so a guest reaches its watchdog over vsock (a stream to the host, port 0x5744),
// in fixed 16-byte messages. The timer runs in the host on the host's clock: nothing the guest
// does or fails to do can stop the second stage once the first has passed unanswered.
import { ModelClock } from '../../virtio/model-clock.ts';

// #region wdt-messages
export const WDT_VSOCK_PORT = 0x5744; // "WD"
export const WDT_MSG_SIZE = 16;
/** Guest to host: le16 type, le16 reserved, le32 arg, le32 arg2, le32 reserved. */
export const WDT_ARM = 1; // arg: timeout in ms; arg2: first-stage (pre-timeout) in ms before it
export const WDT_REFRESH = 2;
export const WDT_STATUS = 3;
/** Host to guest: le16 type | 0x8000, u8 status, u8 reserved, le32 value (ms left), 8 reserved. */
export const WDT_RESP = 0x8000;
/** Host to guest, unasked: the first stage; the guest has `arg` ms before it is reset. */
export const WDT_SIGNAL = 0x4000;

export const WDT_S_OK = 0;
export const WDT_S_EINVAL = 1; // malformed message or a timeout outside the platform's range
export const WDT_S_ENOTARMED = 2; // refresh before ARM
export const WDT_S_EBUSY = 3; // ARM again with different timings: the first arming holds
// #endregion wdt-messages

export function encodeWdt(type: number, arg = 0, arg2 = 0): Uint8Array {
  const b = new Uint8Array(WDT_MSG_SIZE);
  const v = new DataView(b.buffer);
  v.setUint16(0, type, true);
  v.setUint32(4, arg >>> 0, true);
  v.setUint32(8, arg2 >>> 0, true);
  return b;
}

/** Host model time in microseconds, moved by the test: the core's model clock. */
export class WdtClock extends ModelClock {}

export type SupervisorEventKind = 'armed' | 'first-stage' | 'reset' | 'rejected';
export interface SupervisorEvent {
  readonly guest: string;
  readonly kind: SupervisorEventKind;
  /** Host time, µs. */
  readonly at: number;
  /** For 'reset': host time of the last accepted refresh (or of arming). */
  readonly lastRefresh?: number;
  readonly detail?: string;
}

export interface WatchdogLimits {
  /** Smallest and largest timeout a guest may ask for, ms. */
  readonly minTimeoutMs: number;
  readonly maxTimeoutMs: number;
}

/** What the platform does with a guest: reset it (the second stage). */
export interface GuestControl {
  reset(guest: string): void;
}

// #region wdt-service
export class WatchdogService {
  readonly clock: WdtClock;
  readonly limits: WatchdogLimits;
  /** The supervisor's view: every event, in order, for every guest. */
  readonly events: SupervisorEvent[] = [];
  private readonly guests = new Map<string, GuestWatchdog>();
  private readonly control: GuestControl;

  constructor(opts: { clock: WdtClock; control: GuestControl; limits?: WatchdogLimits }) {
    this.clock = opts.clock;
    this.control = opts.control;
    this.limits = opts.limits ?? { minTimeoutMs: 100, maxTimeoutMs: 60_000 };
    this.clock.onAdvance(() => this.tick());
  }

  /** A guest's connection: `send` carries host-to-guest messages (it may go unread). */
  connect(guest: string, send: (m: Uint8Array) => void): GuestWatchdog {
    const g = new GuestWatchdog(this, guest, send);
    this.guests.set(guest, g);
    return g;
  }

  log(e: SupervisorEvent): void {
    this.events.push(e);
  }

  private tick(): void {
    for (const g of this.guests.values()) g.check(this.clock.now, this.control);
  }
}

export class GuestWatchdog {
  readonly guest: string;
  private readonly svc: WatchdogService;
  private readonly send: (m: Uint8Array) => void;
  private timeoutUs = 0;
  private preUs = 0;
  private lastRefresh = 0;
  private armed = false;
  private signalled = false;
  resets = 0;

  constructor(svc: WatchdogService, guest: string, send: (m: Uint8Array) => void) {
    this.svc = svc;
    this.guest = guest;
    this.send = send;
  }

  /** One message from the guest; returns the response. */
  handle(msg: Uint8Array): Uint8Array {
    const now = this.svc.clock.now;
    const respond = (status: number, value = 0) => {
      const b = new Uint8Array(WDT_MSG_SIZE);
      const v = new DataView(b.buffer);
      v.setUint16(0, ((msg[0] ?? 0) | ((msg[1] ?? 0) << 8) | WDT_RESP) & 0xffff, true);
      b[2] = status;
      v.setUint32(4, value, true);
      return b;
    };
    const reject = (why: string, status: number) => {
      this.svc.log({ guest: this.guest, kind: 'rejected', at: now, detail: why });
      return respond(status);
    };
    if (msg.length !== WDT_MSG_SIZE) return reject('length', WDT_S_EINVAL);
    const v = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
    const type = v.getUint16(0, true);
    if (v.getUint16(2, true) !== 0 || v.getUint32(12, true) !== 0) return reject('reserved', WDT_S_EINVAL);
    if (type === WDT_ARM) {
      const t = v.getUint32(4, true);
      const pre = v.getUint32(8, true);
      const { minTimeoutMs, maxTimeoutMs } = this.svc.limits;
      if (t < minTimeoutMs || t > maxTimeoutMs || pre >= t) return reject('timings', WDT_S_EINVAL);
      if (this.armed && (t * 1000 !== this.timeoutUs || pre * 1000 !== this.preUs)) return reject('already armed', WDT_S_EBUSY);
      if (!this.armed) this.svc.log({ guest: this.guest, kind: 'armed', at: now, detail: `${t} ms, first stage ${pre} ms before` });
      this.timeoutUs = t * 1000;
      this.preUs = pre * 1000;
      this.armed = true;
      this.refresh(now);
      return respond(WDT_S_OK, t);
    }
    if (type === WDT_REFRESH) {
      if (!this.armed) return reject('not armed', WDT_S_ENOTARMED);
      this.refresh(now);
      return respond(WDT_S_OK, Math.floor(this.timeoutUs / 1000));
    }
    if (type === WDT_STATUS) return respond(WDT_S_OK, this.armed ? Math.max(0, Math.floor((this.lastRefresh + this.timeoutUs - now) / 1000)) : 0);
    return reject(`type ${type}`, WDT_S_EINVAL);
  }

  private refresh(now: number): void {
    this.lastRefresh = now;
    this.signalled = false;
  }

  /** Host side, on every clock step: the first stage, then the reset. Needs nothing from the guest. */
  check(now: number, control: GuestControl): void {
    if (!this.armed) return;
    const expiry = this.lastRefresh + this.timeoutUs;
    if (!this.signalled && this.preUs > 0 && now >= expiry - this.preUs) {
      this.signalled = true;
      this.svc.log({ guest: this.guest, kind: 'first-stage', at: now });
      this.send(encodeWdt(WDT_SIGNAL, Math.max(0, Math.ceil((expiry - now) / 1000)))); // may never be read
    }
    if (now >= expiry) {
      this.svc.log({ guest: this.guest, kind: 'reset', at: now, lastRefresh: this.lastRefresh });
      this.resets++;
      this.armed = false; // a reset guest starts unarmed and arms again as it boots
      this.signalled = false;
      control.reset(this.guest);
    }
  }
}
// #endregion wdt-service
