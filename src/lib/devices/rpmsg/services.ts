// What runs on a remote core: services, each an rpmsg endpoint with a name the core announces.
// A service learns a guest endpoint from the first message it gets from it, as OpenAMP's
// endpoints do (rpmsg_virtio_rx_callback sets dest_addr from the first message's src), and
// answers over the link that message came on. Two services model what guests bind to on a
// safety island or an MCU: an echo service (the remote half of Linux's rpmsg_client_sample) and
// "vehicle-signals", which publishes speed and gear samples to every subscriber on a period.
// Every instance belongs to one run of the core's firmware: after a crash the core makes new
// instances, with no memory of the old subscribers and sequence numbers from 0 again.
import type { RpmsgSendError } from './device.ts';

/** A guest endpoint as a service sees it: the link it is reached over and its address there. */
export interface ServicePeer {
  /** The link (one guest's rpmsg device for this core). */
  readonly link: object;
  readonly addr: number;
}

// #region service-api
export interface ServiceContext {
  /** Model time of the event being handled, in µs. */
  readonly now: number;
  /** This service's endpoint address. */
  readonly addr: number;
  /** Sends `payload` from this service to a guest endpoint; null, or why the core could not send. */
  send(to: ServicePeer, payload: Uint8Array): RpmsgSendError | null;
}

export interface RemoteService {
  /** The name the core announces (at most 31 bytes). */
  readonly name: string;
  /** A message from a guest endpoint. */
  receive(ctx: ServiceContext, from: ServicePeer, payload: Uint8Array): void;
  /** µs between calls of tick(), for a service with periodic work. */
  readonly periodUs?: number;
  tick?(ctx: ServiceContext): void;
  /** The guest behind `link` went away (its driver reset, or the link was taken down). */
  forget?(link: object): void;
}

/** Makes a fresh instance for each run of the firmware. */
export type ServiceFactory = () => RemoteService;
// #endregion service-api

export interface ServiceStats {
  received: number;
  sent: number;
  /** Sends the core refused, by reason. */
  readonly refused: Map<RpmsgSendError, number>;
}

function countSend(stats: ServiceStats, r: RpmsgSendError | null): void {
  if (r === null) stats.sent++;
  else stats.refused.set(r, (stats.refused.get(r) ?? 0) + 1);
}

const newStats = (): ServiceStats => ({ received: 0, sent: 0, refused: new Map() });

/** Sends every message back to its sender, unchanged. */
export class EchoService implements RemoteService {
  readonly name: string;
  readonly stats = newStats();

  constructor(name = 'rpmsg-client-sample') {
    this.name = name;
  }

  receive(ctx: ServiceContext, from: ServicePeer, payload: Uint8Array): void {
    this.stats.received++;
    countSend(this.stats, ctx.send(from, payload));
  }
}

// #region signal-sample
/**
 * One vehicle-signals sample (the AVP model's own format, 20 bytes, little-endian): le32 seq
 * (from 0 in each run of the firmware), le32 reserved 0, le64 the model time it was sampled in
 * µs, le16 speed in 0.01 km/h, u8 gear (0 park, 1 reverse, 2 neutral, 3 drive), u8 flags (bit 0:
 * the value is valid).
 */
export interface SignalSample {
  readonly seq: number;
  readonly sampledAtUs: number;
  readonly speedCentiKmh: number;
  readonly gear: number;
  readonly valid: boolean;
}

export const SIGNAL_SAMPLE_SIZE = 20;

export function encodeSample(s: SignalSample): Uint8Array {
  const b = new Uint8Array(SIGNAL_SAMPLE_SIZE);
  const v = new DataView(b.buffer);
  v.setUint32(0, s.seq >>> 0, true);
  v.setBigUint64(8, BigInt(s.sampledAtUs), true);
  v.setUint16(16, s.speedCentiKmh, true);
  b[18] = s.gear;
  b[19] = s.valid ? 1 : 0;
  return b;
}

/** A sample, or null when `b` is not one (wrong size). */
export function decodeSample(b: Uint8Array): SignalSample | null {
  if (b.length !== SIGNAL_SAMPLE_SIZE) return null;
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  return { seq: v.getUint32(0, true), sampledAtUs: Number(v.getBigUint64(8, true)), speedCentiKmh: v.getUint16(16, true), gear: b[18], valid: (b[19] & 1) !== 0 };
}
// #endregion signal-sample

/** The vehicle state the island reads from its own CAN inputs: speed in 0.01 km/h and gear at a time. */
export type VehicleSource = (nowUs: number) => { speedCentiKmh: number; gear: number };

/** Default source: accelerating from rest at 1 km/h per 100 ms, in drive. */
export const rampSource: VehicleSource = (t) => ({ speedCentiKmh: Math.min(0xffff, Math.floor(t / 1000)), gear: 3 });

/**
 * Publishes a sample every `periodUs` to each endpoint that has sent it a message. A message
 * whose payload is the text "unsubscribe" ends a subscription.
 */
export class VehicleSignalsService implements RemoteService {
  readonly name = 'vehicle-signals';
  readonly periodUs: number;
  readonly stats = newStats();
  private readonly source: VehicleSource;
  private subscribers: ServicePeer[] = [];
  private seq = 0;

  constructor(opts: { periodUs?: number; source?: VehicleSource } = {}) {
    this.periodUs = opts.periodUs ?? 10_000;
    this.source = opts.source ?? rampSource;
  }

  receive(_ctx: ServiceContext, from: ServicePeer, payload: Uint8Array): void {
    this.stats.received++;
    const same = (p: ServicePeer) => p.link === from.link && p.addr === from.addr;
    if (new TextDecoder().decode(payload) === 'unsubscribe') this.subscribers = this.subscribers.filter((p) => !same(p));
    else if (!this.subscribers.some(same)) this.subscribers.push(from);
  }

  tick(ctx: ServiceContext): void {
    const v = this.source(ctx.now);
    const sample = encodeSample({ seq: this.seq++, sampledAtUs: ctx.now, speedCentiKmh: v.speedCentiKmh, gear: v.gear, valid: true });
    for (const p of this.subscribers) countSend(this.stats, ctx.send(p, sample));
  }

  forget(link: object): void {
    this.subscribers = this.subscribers.filter((p) => p.link !== link);
  }

  get subscriberCount(): number {
    return this.subscribers.length;
  }
}
