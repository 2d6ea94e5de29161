// Properties of the USB policy model. Descriptor parsing is total: any bytes, and any edit of
// real-shaped descriptors, give a parse or one named error, never a crash. Under random rule
// tables and random sequences of plugs, unplugs, re-enumerations, sessions, quarantine clears and
// clock steps, the router never crashes, keeps every device with at most one guest, sends every
// detach to the guest that holds the device, attaches only what an independent statement of the
// rules grants, attaches nothing under a quarantined port, and with no granting rule attaches
// nothing at all.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ModelClock } from '../../src/lib/virtio/model-clock.ts';
import * as D from '../../src/lib/devices/usb/descriptors.ts';
import * as P from '../../src/lib/devices/usb/policy.ts';
import { UsbRouter, type UsbGuestEvent } from '../../src/lib/devices/usb/router.ts';
import { CAMERA, DONGLE, FLASH, HUB, KEYBOARD, KEYBOARD_DISK, SS_DISK, type Fixture } from '../unit/devices/usb/fixtures.ts';

const FIXTURES: Fixture[] = [FLASH, KEYBOARD, KEYBOARD_DISK, CAMERA, SS_DISK, HUB, DONGLE];
const CODES = new Set<string>(D.USB_DESC_ERROR_CODES);

/** A fixture with some bytes overwritten, some cut off or some appended, in one of its reads. */
const editedArb: fc.Arbitrary<Fixture> = fc
  .record({
    base: fc.constantFrom(...FIXTURES),
    which: fc.nat(1),
    writes: fc.array(fc.record({ at: fc.nat(80), value: fc.nat(255) }), { maxLength: 3 }),
    resize: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -12, max: 12 }) }),
  })
  .map(({ base, which, writes, resize }) => {
    const bytes = which === 0 ? base.device.slice() : base.configs[0].slice();
    for (const w of writes) if (w.at < bytes.length) bytes[w.at] = w.value;
    const sized = resize < 0 ? bytes.slice(0, Math.max(0, bytes.length + resize)) : Uint8Array.from([...bytes, ...new Array(resize).fill(0x55)]);
    return which === 0 ? { device: sized, configs: base.configs.map((c) => c.slice()) } : { device: base.device.slice(), configs: [sized] };
  });
const randomArb: fc.Arbitrary<Fixture> = fc.record({ device: fc.uint8Array({ maxLength: 24 }), configs: fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 2 }) });

function checkParse(f: Fixture): void {
  const r = D.parseUsbDevice(f.device, f.configs);
  if (!r.ok) {
    expect(CODES.has(r.error.code)).toBe(true);
    expect(r.error.offset).toBeGreaterThanOrEqual(0);
    return;
  }
  expect(r.value.configurations.length).toBe(r.value.device.numConfigurations);
  for (const [i, c] of r.value.configurations.entries()) {
    expect(c.totalLength).toBe(f.configs[i].length);
    expect(new Set(c.interfaces.map((x) => x.number)).size).toBe(c.numInterfaces);
    for (const x of c.interfaces) expect(x.endpoints.length).toBe(x.numEndpoints);
  }
}

describe('[AVP-USB-20] [AVP-USB-21] descriptor parsing is total', () => {
  it('any bytes: a parse whose counts agree with the bytes, or one named error', () => {
    fc.assert(fc.property(randomArb, (f) => checkParse(f)), { numRuns: 300 });
  });
  it('real-shaped descriptors with bytes changed, cut or added: the same', () => {
    fc.assert(fc.property(editedArb, (f) => checkParse(f)), { numRuns: 300 });
  });
});

// The platform for the sequences: two general guests and a safety guest, three root ports.
const GUESTS: P.UsbGuest[] = [{ id: 'g0', class: 'general' }, { id: 'g1', class: 'general' }, { id: 's0', class: 'safety' }];
const CONTROLLERS: P.UsbController[] = [
  { id: 'x0', ports: [{ path: '1-1', name: 'a', exposure: 'external' }, { path: '1-2', name: 'b', exposure: 'external' }] },
  { id: 'x1', ports: [{ path: '2-1', name: 'c', exposure: 'internal' }] },
];
const PATHS = ['1-1', '1-1.1', '1-1.2', '1-2', '2-1', '2-1.3'];
/** Mostly absent, so that rules are broad enough to match. */
const opt = <T,>(a: fc.Arbitrary<T>, absent = 5) => fc.oneof({ weight: absent, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: a });

const ruleArb = fc.record({
  port: opt(fc.constantFrom(...PATHS), 1),
  vendor: opt(fc.constantFrom(0x5a11, 0x5a22, 0xca0e, 0x5a33)),
  product: opt(fc.constantFrom(1, 2, 3)),
  class: opt(fc.constantFrom(3, 8, 9, 0x0e, 0xff)),
  subClass: opt(fc.constantFrom(0, 1, 2, 6)),
  protocol: opt(fc.constantFrom(0, 1, 0x50)),
  inSession: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  grant: fc.oneof({ weight: 1, arbitrary: fc.constant(undefined) }, { weight: 3, arbitrary: fc.constantFrom('g0', 'g1', 's0') }),
});

type RawRule = typeof ruleArb extends fc.Arbitrary<infer T> ? T : never;

/** Random rules made valid: narrower fields only with the wider ones, safety grants bound, no duplicates. */
function tableOf(raw: RawRule[], allowGrants: boolean): P.UsbRule[] {
  const out: P.UsbRule[] = [];
  const keys = new Set<string>();
  raw.forEach((r, i) => {
    const vendor = r.vendor;
    const product = vendor === undefined ? undefined : r.product;
    const cls = r.class;
    const subClass = cls === undefined ? undefined : r.subClass;
    const protocol = subClass === undefined ? undefined : r.protocol;
    let grant = allowGrants ? r.grant : undefined;
    if (grant === 's0' && !(r.port?.startsWith('2-1') && vendor !== undefined && product !== undefined)) grant = undefined;
    const rule: P.UsbRule = { id: `r${i}`, port: r.port, vendor, product, class: cls, subClass, protocol, inSession: r.inSession, grant };
    const key = JSON.stringify([r.port, vendor, product, cls, subClass, protocol, r.inSession]);
    if (!keys.has(key)) {
      keys.add(key);
      out.push(rule);
    }
  });
  return out;
}

/** The rules stated again, apart from the model: sort by specificity, take the first match per function. */
function oracle(rules: P.UsbRule[], path: string, f: Fixture, session: boolean): string | undefined {
  const r = D.parseUsbDevice(f.device, f.configs);
  if (!r.ok || r.value.device.deviceClass === 9) return undefined;
  const dev = r.value.device;
  const fns: [number, number, number][] = [];
  if (dev.deviceClass !== 0 && dev.deviceClass !== 0xef) fns.push([dev.deviceClass, dev.deviceSubClass, dev.deviceProtocol]);
  for (const c of r.value.configurations) {
    for (const a of c.associations) fns.push([a.class, a.subClass, a.protocol]);
    for (const x of c.interfaces) fns.push([x.class, x.subClass, x.protocol]);
  }
  if (fns.length === 0 || fns.length > P.DEFAULT_MAX_FUNCTIONS) return undefined;
  const score = (x: P.UsbRule) => (x.port ? x.port.split(/[-.]/).length - 1 : 0) * 1000 + [x.vendor, x.product].filter((v) => v !== undefined).length * 100 + [x.class, x.subClass, x.protocol].filter((v) => v !== undefined).length * 10 + (x.inSession ? 1 : 0);
  const sorted = [...rules].sort((a, b) => score(b) - score(a));
  const guests = new Set<string>();
  for (const [c, s, p] of fns) {
    const hit = sorted.find((x) =>
      (!x.inSession || session) && (x.port === undefined || path === x.port || path.startsWith(`${x.port}.`)) &&
      (x.vendor === undefined || x.vendor === dev.vendor) && (x.product === undefined || x.product === dev.product) &&
      (x.class === undefined || x.class === c) && (x.subClass === undefined || x.subClass === s) && (x.protocol === undefined || x.protocol === p));
    if (!hit || hit.grant === undefined) return undefined;
    guests.add(hit.grant);
  }
  return guests.size === 1 ? [...guests][0] : undefined;
}

const deviceArb = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...FIXTURES) }, { weight: 2, arbitrary: editedArb }, { weight: 1, arbitrary: randomArb });
type Op =
  | { op: 'connect' | 'reenumerate'; path: string; dev: Fixture }
  | { op: 'disconnect' | 'clear'; path: string }
  | { op: 'advance'; us: number }
  | { op: 'session'; open: boolean }
  | { op: 'storm'; path: string; dev: Fixture; n: number; gap: number };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('connect' as const), path: fc.constantFrom(...PATHS), dev: deviceArb }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('disconnect' as const), path: fc.constantFrom(...PATHS) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('reenumerate' as const), path: fc.constantFrom(...PATHS), dev: deviceArb }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('advance' as const), us: fc.oneof(fc.integer({ min: 0, max: 300_000 }), fc.integer({ min: 900_000, max: 11_000_000 })) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('session' as const), open: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('clear' as const), path: fc.constantFrom(...PATHS) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('storm' as const), path: fc.constantFrom(...PATHS), dev: fc.constantFrom(...FIXTURES), n: fc.integer({ min: 3, max: 14 }), gap: fc.integer({ min: 0, max: 400_000 }) }) },
);

function run(rules: P.UsbRule[], ops: Op[]): UsbGuestEvent[] {
  const v = P.validateUsbConfig({ guests: GUESTS, controllers: CONTROLLERS, rules });
  expect(v.ok ? [] : v.errors).toEqual([]);
  if (!v.ok) return [];
  const clock = new ModelClock();
  const router = new UsbRouter({ policy: v.policy, clock });
  const mirror = new Map<string, Fixture>(); // what was last plugged at each path, as the test saw it
  const ledger = new Map<string, string>(); // path -> guest, from the events alone
  let seen = 0;
  const check = () => {
    for (const e of router.events.slice(seen)) {
      if (e.kind === 'attach') {
        expect(ledger.has(e.path)).toBe(false); // never two guests, never twice
        expect(oracle(rules, e.path, mirror.get(e.path)!, router.sessionOpen)).toBe(e.guest);
        expect(router.isQuarantined(e.path)).toBe(false);
        ledger.set(e.path, e.guest);
      } else {
        expect(ledger.get(e.path)).toBe(e.guest); // a detach goes to the holder
        ledger.delete(e.path);
      }
    }
    seen = router.events.length;
    for (const p of PATHS) expect(router.holderOf(p)).toBe(ledger.get(p));
  };
  const steps = ops.flatMap((o): Op[] =>
    o.op === 'storm'
      ? Array.from({ length: o.n }, (): Op[] => [{ op: 'connect', path: o.path, dev: o.dev }, { op: 'advance', us: o.gap }, { op: 'disconnect', path: o.path }]).flat()
      : [o],
  );
  for (const o of steps) {
    if (o.op === 'storm') continue;
    if (o.op === 'connect' || o.op === 'reenumerate') {
      mirror.set(o.path, o.dev);
      router[o.op](o.path, o.dev.device, o.dev.configs);
    } else if (o.op === 'disconnect') router.disconnect(o.path);
    else if (o.op === 'clear') router.clearQuarantine(o.path);
    else if (o.op === 'advance') clock.advance(o.us);
    else if (o.op === 'session' && o.open) router.openSession();
    else router.closeSession();
    check();
  }
  for (const root of ['1-1', '1-2', '2-1']) router.disconnect(root);
  check();
  expect(ledger.size).toBe(0);
  expect(router.devices()).toEqual([]);
  for (const g of GUESTS) {
    const mine = router.events.filter((e) => e.guest === g.id);
    expect(mine.filter((e) => e.kind === 'attach').length).toBe(mine.filter((e) => e.kind === 'detach').length);
  }
  return router.events;
}

describe('[AVP-USB-11] [AVP-USB-22] [AVP-USB-23] [AVP-USB-27] the router under random tables and event sequences', () => {
  it('never crashes; every device with at most one guest; detaches to the holder; attaches only what the rules grant', () => {
    fc.assert(
      fc.property(fc.array(ruleArb, { minLength: 2, maxLength: 8 }), fc.array(opArb, { minLength: 10, maxLength: 60 }), (raw, ops) => {
        run(tableOf(raw, true), ops);
      }),
      { numRuns: 150 },
    );
  });
});

describe('[AVP-USB-12] the default deny holds under any sequence', () => {
  it('with no rule that grants, no guest ever gets an event', () => {
    fc.assert(
      fc.property(fc.array(ruleArb, { maxLength: 8 }), fc.array(opArb, { minLength: 10, maxLength: 40 }), (raw, ops) => {
        expect(run(tableOf(raw, false), ops)).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });
});
