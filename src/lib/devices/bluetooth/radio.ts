// The radio around the vehicle, as the model sees it: advertisers that send legacy advertising
// PDUs at a fixed interval on a model timebase. A real radio loses packets and hops channels;
// the model is exact, so that what a guest receives follows from the advertisers' schedules,
// the guest's scan parameters and the platform's policy, and tests can state it in advance.
import { ModelClock } from '../../virtio/model-clock.ts';
import { ADDR_RANDOM, ADV_DIRECT_IND, ADV_IND, ADV_NONCONN_IND, ADV_SCAN_IND, type BdAddr } from './hci.ts';

// #region advertiser
export interface Advertiser {
  /** The model's name for it; the platform's scan policy names advertisers by it. */
  readonly name: string;
  readonly address: BdAddr;
  readonly addressType: number;
  /** ADV_IND, ADV_DIRECT_IND, ADV_SCAN_IND or ADV_NONCONN_IND. */
  readonly eventType: number;
  /** Advertising data, at most 31 bytes. */
  readonly data: Uint8Array;
  /** Sent in answer to a scan request, if the PDU is scannable. */
  readonly scanResponse?: Uint8Array;
  /** Received signal strength at the vehicle's antenna, dBm. */
  readonly rssi: number;
  /** Time between advertising events, µs. */
  readonly intervalUs: number;
  /** Time of the first advertising event after the model's time 0, µs (greater than 0). */
  readonly offsetUs: number;
  /**
   * Long-term keys this peer has bonded with, by the central's address (a phone remembers each
   * head unit it paired with). A link is encrypted only with the key bonded for that address.
   */
  readonly bonds?: ReadonlyMap<BdAddr, string>;
}

export const connectable = (a: Advertiser): boolean => a.eventType === ADV_IND || a.eventType === ADV_DIRECT_IND;
export const scannable = (a: Advertiser): boolean => a.eventType === ADV_IND || a.eventType === ADV_SCAN_IND;
// #endregion advertiser

// #region radio
/** Advertisers on a model clock; on every advance, each advertising event in the elapsed time goes to the listeners, in time order. */
export class RadioEnvironment {
  readonly clock: ModelClock;
  private readonly advertisers: Advertiser[] = [];
  private readonly listeners: ((adv: Advertiser, atUs: number) => void)[] = [];
  private last: number;

  constructor(clock: ModelClock, advertisers: readonly Advertiser[] = []) {
    this.clock = clock;
    this.last = clock.now;
    for (const a of advertisers) this.add(a);
    clock.onAdvance(() => this.tick());
  }

  add(a: Advertiser): void {
    if (a.data.length > 31 || (a.scanResponse?.length ?? 0) > 31) throw new RangeError(`${a.name}: advertising data is at most 31 bytes`);
    if (!(a.intervalUs > 0) || !(a.offsetUs > 0)) throw new RangeError(`${a.name}: interval and offset must be positive`);
    if (this.advertisers.some((x) => x.name === a.name)) throw new RangeError(`${a.name}: already on the air`);
    this.advertisers.push(a);
  }

  /** The advertiser stops (leaves the vehicle, is switched off). */
  remove(name: string): void {
    const i = this.advertisers.findIndex((a) => a.name === name);
    if (i >= 0) this.advertisers.splice(i, 1);
  }

  find(name: string): Advertiser | undefined {
    return this.advertisers.find((a) => a.name === name);
  }

  get all(): readonly Advertiser[] {
    return this.advertisers;
  }

  onAdvertisement(fn: (adv: Advertiser, atUs: number) => void): void {
    this.listeners.push(fn);
  }

  private tick(): void {
    const from = this.last;
    const to = this.clock.now;
    this.last = to;
    const events: { at: number; i: number; a: Advertiser }[] = [];
    this.advertisers.forEach((a, i) => {
      // Events at offset + k × interval in (from, to].
      const k0 = from < a.offsetUs ? 0 : Math.floor((from - a.offsetUs) / a.intervalUs) + 1;
      for (let k = k0; a.offsetUs + k * a.intervalUs <= to; k++) events.push({ at: a.offsetUs + k * a.intervalUs, i, a });
    });
    events.sort((x, y) => x.at - y.at || x.i - y.i);
    for (const e of events) for (const l of this.listeners) l(e.a, e.at);
  }
}
// #endregion radio

// #region ad-data
/** Advertising data is a list of [length, AD type, value] structures (Core Supplement, Part A). */
export function adStructure(type: number, value: Uint8Array): Uint8Array {
  return Uint8Array.of(value.length + 1, type, ...value);
}
export const AD_FLAGS = 0x01;
export const AD_UUID16_COMPLETE = 0x03;
export const AD_NAME_COMPLETE = 0x09;
export const AD_MANUFACTURER = 0xff;

export function adData(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export const adName = (name: string): Uint8Array => adStructure(AD_NAME_COMPLETE, new TextEncoder().encode(name));

/** The AD structures of advertising data; a structure that runs past the end ends the list. */
export function parseAd(data: Uint8Array): { type: number; value: Uint8Array }[] {
  const out: { type: number; value: Uint8Array }[] = [];
  for (let at = 0; at < data.length; ) {
    const len = data[at];
    if (len === 0 || at + 1 + len > data.length) break;
    out.push({ type: data[at + 1], value: data.slice(at + 2, at + 1 + len) });
    at += 1 + len;
  }
  return out;
}

export function adLocalName(data: Uint8Array): string | null {
  const n = parseAd(data).find((s) => s.type === AD_NAME_COMPLETE || s.type === 0x08);
  return n ? new TextDecoder().decode(n.value) : null;
}
// #endregion ad-data

// #region vehicle-scene
/** Company identifier 0xFFFF: reserved by the Bluetooth SIG for tests; no vendor's. */
export const TEST_COMPANY_ID = 0xffff;

/** A tyre-pressure sensor's reading, as the model's sensors put it in manufacturer data. */
export interface TyreReading {
  readonly kPa: number;
  readonly celsius: number;
}

export function tyreData(r: TyreReading): Uint8Array {
  return adData(adStructure(AD_FLAGS, Uint8Array.of(0x04)), adStructure(AD_MANUFACTURER, Uint8Array.of(TEST_COMPANY_ID & 0xff, TEST_COMPANY_ID >> 8, r.kPa & 0xff, r.kPa >> 8, r.celsius & 0xff)));
}

export function decodeTyre(data: Uint8Array): TyreReading | null {
  const m = parseAd(data).find((s) => s.type === AD_MANUFACTURER);
  if (!m || m.value.length !== 5 || (m.value[0] | (m.value[1] << 8)) !== TEST_COMPANY_ID) return null;
  return { kPa: m.value[2] | (m.value[3] << 8), celsius: (m.value[4] << 24) >> 24 };
}

/** The ivi guest's public address, and the long-term key the phone bonded with it. */
export const IVI_ADDRESS: BdAddr = '02:A7:00:00:00:01';
export const CLUSTER_ADDRESS: BdAddr = '02:A7:00:00:00:02';
export const PHONE_LTK_FOR_IVI = '4c7d1e20b95f3a6408d2c1f07e6b9a53';

/**
 * What a parked car hears: the driver's phone (connectable, bonded with the infotainment
 * system), wireless headphones (connectable, name in the scan response), and two tyre-pressure
 * sensors (non-connectable, readings in manufacturer data). Offsets spread the first events
 * over the first tens of milliseconds.
 */
export function vehicleRadioScene(): Advertiser[] {
  return [
    {
      name: 'phone',
      address: '5A:1C:3E:90:21:7B', // resolvable private address: top bits 01
      addressType: ADDR_RANDOM,
      eventType: ADV_IND,
      data: adData(adStructure(AD_FLAGS, Uint8Array.of(0x06)), adName("Anna's phone")),
      rssi: -52,
      intervalUs: 100_000,
      offsetUs: 3_000,
      bonds: new Map([[IVI_ADDRESS, PHONE_LTK_FOR_IVI]]),
    },
    {
      name: 'headphones',
      address: 'C4:7D:12:00:5E:01', // static random address: top bits 11
      addressType: ADDR_RANDOM,
      eventType: ADV_IND,
      data: adData(adStructure(AD_FLAGS, Uint8Array.of(0x06)), adStructure(AD_UUID16_COMPLETE, Uint8Array.of(0x4e, 0x18))),
      scanResponse: adName('Headphones'),
      rssi: -70,
      intervalUs: 150_000,
      offsetUs: 7_000,
    },
    { name: 'tyre-front-left', address: 'F0:54:00:00:00:11', addressType: ADDR_RANDOM, eventType: ADV_NONCONN_IND, data: tyreData({ kPa: 238, celsius: 19 }), rssi: -78, intervalUs: 500_000, offsetUs: 11_000 },
    { name: 'tyre-front-right', address: 'F0:54:00:00:00:12', addressType: ADDR_RANDOM, eventType: ADV_NONCONN_IND, data: tyreData({ kPa: 211, celsius: 18 }), rssi: -75, intervalUs: 500_000, offsetUs: 13_000 },
  ];
}

/** Who may see what in that scene: media devices for the infotainment system, tyres for the cluster. */
export const VEHICLE_SCAN_POLICY: Readonly<Record<string, readonly string[]>> = {
  ivi: ['phone', 'headphones'],
  cluster: ['tyre-front-left', 'tyre-front-right'],
};

// #endregion vehicle-scene
