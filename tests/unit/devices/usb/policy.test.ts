// The USB rule table: what a platform may configure, how the most specific rule is chosen, the
// default deny, and composite devices judged by their strictest function.
import { describe, expect, it } from 'vitest';
import * as D from '../../../../src/lib/devices/usb/descriptors.ts';
import * as P from '../../../../src/lib/devices/usb/policy.ts';
import { CAMERA, FLASH, KEYBOARD, KEYBOARD_DISK, type Fixture } from './fixtures.ts';

const GUESTS: P.UsbGuest[] = [
  { id: 'ivi', class: 'general' },
  { id: 'tcu', class: 'general' },
  { id: 'adas', class: 'safety' },
];
const CONTROLLERS: P.UsbController[] = [
  { id: 'x0', ports: [{ path: '1-1', name: 'front', exposure: 'external' }, { path: '1-2', name: 'rear', exposure: 'external' }] },
  { id: 'x1', ports: [{ path: '2-1', name: 'harness', exposure: 'internal' }] },
  { id: 'x2', ports: [{ path: '3-1', name: 'link', exposure: 'internal' }], passthroughTo: 'adas' },
];
const cfg = (rules: P.UsbRule[], extra: Partial<P.UsbPlatformConfig> = {}): P.UsbPlatformConfig => ({ guests: GUESTS, controllers: CONTROLLERS, rules, ...extra });
function policy(rules: P.UsbRule[], extra: Partial<P.UsbPlatformConfig> = {}): P.UsbPolicy {
  const v = P.validateUsbConfig(cfg(rules, extra));
  if (!v.ok) throw new Error(v.errors.map((e) => e.code).join());
  return v.policy;
}
const errors = (rules: P.UsbRule[], extra: Partial<P.UsbPlatformConfig> = {}) => {
  const v = P.validateUsbConfig(cfg(rules, extra));
  return v.ok ? [] : v.errors.map((e) => e.code);
};
function info(f: Fixture): D.UsbDeviceInfo {
  const r = D.parseUsbDevice(f.device, f.configs);
  if (!r.ok) throw new Error(r.error.code);
  return r.value;
}
const outcome = (d: P.UsbDecision) => (d.granted ? d.guest : d.reason);

describe('[AVP-USB-16] the platform puts into effect only a rule table it can apply unambiguously', () => {
  it('accepts a well-formed table', () => expect(errors([{ id: 'a', port: '1-1', grant: 'ivi' }, { id: 'b', port: '1-1', class: 3 }])).toEqual([]));
  it.each<[string, P.UsbRule[], Partial<P.UsbPlatformConfig>, P.UsbConfigErrorCode]>([
    ['a rule for an undeclared guest', [{ id: 'a', port: '1-1', grant: 'hmi' }], {}, 'UNKNOWN_GUEST'],
    ['a rule for a port behind no declared root port', [{ id: 'a', port: '4-1', grant: 'ivi' }], {}, 'UNKNOWN_PORT'],
    ['a port path that is not one', [{ id: 'a', port: '1-0', grant: 'ivi' }], {}, 'BAD_PORT_PATH'],
    ['a path deeper than seven tiers allow', [{ id: 'a', port: '1-1.1.1.1.1.1.1', grant: 'ivi' }], {}, 'BAD_PORT_PATH'],
    ['a product without a vendor', [{ id: 'a', product: 1, grant: 'ivi' }], {}, 'BAD_MATCH'],
    ['a protocol without a subclass', [{ id: 'a', class: 3, protocol: 1, grant: 'ivi' }], {}, 'BAD_MATCH'],
    ['a class above 255', [{ id: 'a', class: 256, grant: 'ivi' }], {}, 'BAD_MATCH'],
    ['a vendor above 0xffff', [{ id: 'a', vendor: 0x10000, grant: 'ivi' }], {}, 'BAD_MATCH'],
    ['two rules matching the same devices, whatever they grant', [{ id: 'a', port: '1-1', class: 8, grant: 'ivi' }, { id: 'b', port: '1-1', class: 8 }], {}, 'DUPLICATE_RULE'],
    ['one rule ID twice', [{ id: 'a', port: '1-1', grant: 'ivi' }, { id: 'a', port: '1-2', grant: 'ivi' }], {}, 'DUPLICATE_ID'],
    ['a root port declared twice', [], { controllers: [...CONTROLLERS, { id: 'x3', ports: [{ path: '1-1', name: 'again', exposure: 'external' }] }] }, 'DUPLICATE_ID'],
    ['a root port path with a hub port in it', [], { controllers: [{ id: 'x3', ports: [{ path: '5-1.2', name: 'deep', exposure: 'external' }] }] }, 'BAD_PORT_PATH'],
    ['a function bound of 0', [], { maxFunctions: 0 }, 'BAD_MATCH'],
  ])('refuses %s', (_w, rules, extra, code) => expect(errors(rules, extra)).toContain(code));

  it('keeps a rule that only differs by its session condition', () => {
    expect(errors([{ id: 'a', port: '1-1' }, { id: 'b', port: '1-1', inSession: true, grant: 'ivi' }])).toEqual([]);
  });
});

describe('[AVP-USB-15] a grant to a safety guest names an internal port and a vendor:product', () => {
  it('accepts the camera rule', () => expect(errors([{ id: 'cam', port: '2-1', vendor: 0xca0e, product: 1, grant: 'adas' }])).toEqual([]));
  it.each<[string, P.UsbRule]>([
    ['without a port', { id: 'cam', vendor: 0xca0e, product: 1, grant: 'adas' }],
    ['on an external port', { id: 'cam', port: '1-1', vendor: 0xca0e, product: 1, grant: 'adas' }],
    ['with a vendor but no product', { id: 'cam', port: '2-1', vendor: 0xca0e, grant: 'adas' }],
    ['by class alone', { id: 'cam', port: '2-1', class: 0x0e, grant: 'adas' }],
  ])('refuses one %s', (_w, rule) => expect(errors([rule])).toEqual(['SAFETY_RULE_UNBOUND']));
  it('lets a deny rule name anything', () => expect(errors([{ id: 'd', class: 8 }])).toEqual([]));
});

describe('[AVP-USB-6] [AVP-USB-7] controller pass-through', () => {
  it('[AVP-USB-6] refuses a controller with an external port passed through to a safety guest', () => {
    const ctl: P.UsbController = { id: 'x9', ports: [{ path: '9-1', name: 'ok', exposure: 'internal' }, { path: '9-2', name: 'front', exposure: 'external' }], passthroughTo: 'adas' };
    expect(errors([], { controllers: [...CONTROLLERS, ctl] })).toEqual(['SAFETY_EXTERNAL_PASSTHROUGH']);
    expect(errors([], { controllers: [...CONTROLLERS, { ...ctl, passthroughTo: 'ivi' }] })).toEqual([]);
    expect(errors([], { controllers: [...CONTROLLERS, { ...ctl, passthroughTo: 'nobody' }] })).toContain('UNKNOWN_GUEST');
  });
  it('[AVP-USB-7] refuses a rule on a port of a passed-through controller', () => {
    expect(errors([{ id: 'a', port: '3-1', vendor: 1, product: 2, grant: 'adas' }])).toContain('PASSTHROUGH_PORT_RULE');
    expect(errors([{ id: 'a', port: '3-1.2' }])).toContain('PASSTHROUGH_PORT_RULE');
  });
});

describe('[AVP-USB-11] the most specific rule decides, port first', () => {
  it('orders rules by port depth, then identity, then class detail, then session', () => {
    const s = (r: Omit<P.UsbRule, 'id'>) => P.specificity({ id: 'x', ...r });
    expect(s({})).toEqual([0, 0, 0, 0]);
    expect(s({ port: '1-1.3', vendor: 1, product: 2, class: 3, subClass: 1, protocol: 1, inSession: true })).toEqual([2, 2, 3, 1]);
    const byKey = (a: Omit<P.UsbRule, 'id'>, b: Omit<P.UsbRule, 'id'>) => Math.sign(P.compareSpecificity({ id: 'a', ...a }, { id: 'b', ...b }));
    expect(byKey({ port: '1-1' }, { vendor: 1, product: 2, class: 8, subClass: 6, protocol: 0x50 })).toBe(1);
    expect(byKey({ port: '1-1.2' }, { port: '1-1', vendor: 1, product: 2 })).toBe(1);
    expect(byKey({ vendor: 1 }, { class: 8, subClass: 6, protocol: 0x50 })).toBe(1);
    expect(byKey({ class: 8, subClass: 6 }, { class: 8 })).toBe(1);
    expect(byKey({ port: '1-1', inSession: true }, { port: '1-1' })).toBe(1);
  });

  it('a device claiming the camera\'s IDs on the front port goes where the front port says, never to the camera\'s guest', () => {
    const p = policy([
      { id: 'front', port: '1-1', grant: 'ivi' },
      { id: 'cam', port: '2-1', vendor: 0xca0e, product: 1, grant: 'adas' },
      { id: 'cam-anywhere', vendor: 0xca0e, product: 1, grant: 'tcu' },
    ]);
    expect(outcome(p.decide('1-1', info(CAMERA), false))).toBe('ivi');
    expect(outcome(p.decide('2-1', info(CAMERA), false))).toBe('adas');
    expect(outcome(p.decide('1-2', info(CAMERA), false))).toBe('tcu');
  });

  it('a port rule covers devices behind a hub on that port; a deeper rule wins there', () => {
    const p = policy([{ id: 'front', port: '1-1', grant: 'ivi' }, { id: 'front-hub-2', port: '1-1.2', grant: 'tcu' }]);
    expect(outcome(p.decide('1-1.1', info(FLASH), false))).toBe('ivi');
    expect(outcome(p.decide('1-1.2', info(FLASH), false))).toBe('tcu');
    expect(outcome(p.decide('1-1.2.4', info(FLASH), false))).toBe('tcu');
    expect(outcome(p.decide('1-12', info(FLASH), false))).toBe('no-rule'); // 1-12 is not behind 1-1
  });

  it('within a port, a class rule beats the port rule and an identity rule beats both', () => {
    const p = policy([
      { id: 'front', port: '1-1', grant: 'ivi' },
      { id: 'front-storage', port: '1-1', class: 8 },
      { id: 'front-our-stick', port: '1-1', vendor: 0x5a11, product: 1, grant: 'tcu' },
    ]);
    expect(outcome(p.decide('1-1', info(KEYBOARD), false))).toBe('ivi');
    expect(outcome(p.decide('1-1', info(FLASH), false))).toBe('tcu');
    const other = D.parseUsbDevice(D.encodeDevice({ vendor: 0x7777, product: 1 }), [D.encodeConfiguration({ interfaces: [{ number: 0, class: 8, subClass: 6, protocol: 0x50 }] })]);
    expect(other.ok && outcome(p.decide('1-1', other.value, false))).toBe('denied-by-rule');
  });
});

describe('[AVP-USB-12] default deny', () => {
  it('routes nothing with an empty table', () => {
    const p = policy([]);
    for (const f of [FLASH, KEYBOARD, CAMERA]) for (const path of ['1-1', '1-2', '2-1', '1-1.4']) expect(outcome(p.decide(path, info(f), false))).toBe('no-rule');
  });
  it('routes nothing no rule matches, even next to rules that match other devices', () => {
    const p = policy([{ id: 'kbd', port: '1-1', class: 3, grant: 'ivi' }]);
    expect(outcome(p.decide('1-1', info(KEYBOARD), false))).toBe('ivi');
    const d = p.decide('1-1', info(FLASH), false);
    expect(d).toMatchObject({ granted: false, reason: 'no-rule' });
    expect(outcome(p.decide('1-2', info(KEYBOARD), false))).toBe('no-rule');
  });
});

describe('[AVP-USB-13] a composite device is judged by its strictest function', () => {
  it('refuses a "keyboard" that is also a disk where keyboards are denied, whatever the disk would get', () => {
    const p = policy([{ id: 'front', port: '1-1', grant: 'ivi' }, { id: 'no-hid', port: '1-1', class: 3 }]);
    const d = p.decide('1-1', info(KEYBOARD_DISK), false);
    expect(d).toMatchObject({ granted: false, reason: 'denied-by-rule' });
    expect(d.granted ? '' : d.detail).toContain('interface 0');
  });
  it('refuses it where only one of its functions has a rule', () => {
    const p = policy([{ id: 'storage', port: '1-1', class: 8, grant: 'ivi' }]);
    expect(outcome(p.decide('1-1', info(FLASH), false))).toBe('ivi');
    expect(outcome(p.decide('1-1', info(KEYBOARD_DISK), false))).toBe('no-rule');
  });
  it('refuses it when its functions would go to two guests', () => {
    const p = policy([{ id: 'kbd', port: '1-1', class: 3, grant: 'tcu' }, { id: 'storage', port: '1-1', class: 8, grant: 'ivi' }]);
    expect(outcome(p.decide('1-1', info(KEYBOARD_DISK), false))).toBe('split-guests');
  });
  it('judges every alternate setting and every configuration, not only the first', () => {
    const p = policy([{ id: 'kbd', port: '1-1', class: 3, grant: 'ivi' }]);
    const hidden = (interfaces: D.InterfaceSpec[][]) => {
      const r = D.parseUsbDevice(D.encodeDevice({ vendor: 1, product: 1, numConfigurations: interfaces.length }), interfaces.map((i, n) => D.encodeConfiguration({ value: n + 1, interfaces: i })));
      if (!r.ok) throw new Error(r.error.code);
      return outcome(p.decide('1-1', r.value, false));
    };
    expect(hidden([[{ number: 0, class: 3, subClass: 1, protocol: 1 }]])).toBe('ivi');
    expect(hidden([[{ number: 0, class: 3, subClass: 1, protocol: 1 }, { number: 0, alternate: 1, class: 8, subClass: 6, protocol: 0x50 }]])).toBe('no-rule');
    expect(hidden([[{ number: 0, class: 3 }], [{ number: 0, class: 8 }]])).toBe('no-rule');
  });
  it('judges the device class and the interface associations too, but not 00h or EFh', () => {
    expect(P.functionsOf(info(CAMERA)).map((f) => f.where)).toEqual(['config 1 association 0+2', 'config 1 interface 0 alt 0', 'config 1 interface 1 alt 0', 'config 1 interface 1 alt 1']);
    expect(P.functionsOf(info(FLASH)).map((f) => f.where)).toEqual(['config 1 interface 0 alt 0']);
    const vendorDevice = D.parseUsbDevice(D.encodeDevice({ vendor: 1, product: 1, class: 0xff }), [D.encodeConfiguration({ interfaces: [{ number: 0, class: 8 }] })]);
    expect(vendorDevice.ok && P.functionsOf(vendorDevice.value).map((f) => f.class)).toEqual([0xff, 8]);
    const p = policy([{ id: 'video', port: '1-1', class: 0x0e, grant: 'ivi' }]);
    expect(outcome(p.decide('1-1', info(CAMERA), false))).toBe('ivi');
  });
  it('refuses a device that declares no function at all', () => {
    const r = D.parseUsbDevice(D.encodeDevice({ vendor: 1, product: 1 }), [D.encodeConfiguration({ interfaces: [] })]);
    expect(r.ok && outcome(policy([{ id: 'all', port: '1-1', grant: 'ivi' }]).decide('1-1', r.value, false))).toBe('no-functions');
  });
});

describe('[AVP-USB-14] a device declaring too many functions is routed nowhere', () => {
  const many = (n: number) => {
    const r = D.parseUsbDevice(D.encodeDevice({ vendor: 1, product: 1 }), [D.encodeConfiguration({ interfaces: Array.from({ length: n }, (_, i) => ({ number: i, class: 3 })) })]);
    if (!r.ok) throw new Error(r.error.code);
    return r.value;
  };
  it('at 16 functions by default it is judged; at 17 it is not', () => {
    const p = policy([{ id: 'all', port: '1-1', grant: 'ivi' }]);
    expect(p.maxFunctions).toBe(P.DEFAULT_MAX_FUNCTIONS);
    expect(outcome(p.decide('1-1', many(16), false))).toBe('ivi');
    expect(p.decide('1-1', many(17), false)).toMatchObject({ granted: false, reason: 'too-many-functions' });
  });
  it('the bound is the platform\'s to set', () => {
    expect(outcome(policy([{ id: 'all', port: '1-1', grant: 'ivi' }], { maxFunctions: 2 }).decide('1-1', many(3), false))).toBe('too-many-functions');
  });
});

describe('[AVP-USB-18] session rules apply only while a service session is open', () => {
  it('grants the diagnostic port only in a session', () => {
    const p = policy([{ id: 'diag', port: '1-2', inSession: true, grant: 'tcu' }]);
    expect(outcome(p.decide('1-2', info(FLASH), false))).toBe('no-rule');
    expect(outcome(p.decide('1-2', info(FLASH), true))).toBe('tcu');
  });
  it('a session rule outranks the same rule without the condition while the session lasts', () => {
    const p = policy([{ id: 'closed', port: '1-2' }, { id: 'open', port: '1-2', inSession: true, grant: 'tcu' }]);
    expect(outcome(p.decide('1-2', info(FLASH), false))).toBe('denied-by-rule');
    expect(outcome(p.decide('1-2', info(FLASH), true))).toBe('tcu');
  });
});

describe('port paths', () => {
  it('parses bus-port[.port…] as Linux writes it in sysfs', () => {
    expect(P.parsePortPath('1-2.3')).toEqual({ bus: 1, ports: [2, 3] });
    for (const bad of ['1', '1-', '-1', '0-1', '1-256', '1-1..2', '1-1.0', 'a-1', '1-1.1.1.1.1.1.1']) expect(P.parsePortPath(bad)).toBeUndefined();
    expect(P.rootPortOf('3-4.1.2')).toBe('3-4');
    expect([P.portCovers('1-1', '1-1'), P.portCovers('1-1', '1-1.3'), P.portCovers('1-1', '1-10'), P.portCovers('1-1.3', '1-1')]).toEqual([true, true, false, false]);
  });
});
