// The USB hot-plug router: attach and detach events go to exactly one guest, re-plugs and
// changed descriptors are judged afresh, sessions end their grants, hubs stay with the platform,
// and a misbehaving device is held off, then quarantined, without touching another guest.
import { describe, expect, it } from 'vitest';
import { ModelClock } from '../../../../src/lib/virtio/model-clock.ts';
import * as D from '../../../../src/lib/devices/usb/descriptors.ts';
import * as P from '../../../../src/lib/devices/usb/policy.ts';
import { UsbRouter, DEFAULT_USB_LIMITS, type UsbGuestEvent } from '../../../../src/lib/devices/usb/router.ts';
import { CAMERA, DONGLE, FLASH, HUB, KEYBOARD, KEYBOARD_DISK, copy, type Fixture } from './fixtures.ts';

const CONFIG: P.UsbPlatformConfig = {
  guests: [{ id: 'ivi', class: 'general' }, { id: 'adas', class: 'safety' }, { id: 'diag', class: 'general' }],
  controllers: [
    { id: 'x0', ports: [{ path: '1-1', name: 'front', exposure: 'external' }, { path: '1-2', name: 'diagnostic', exposure: 'external' }, { path: '1-3', name: 'rear', exposure: 'external' }] },
    { id: 'x1', ports: [{ path: '2-1', name: 'harness', exposure: 'internal' }] },
    { id: 'x2', ports: [{ path: '3-1', name: 'link', exposure: 'internal' }], passthroughTo: 'adas' },
  ],
  rules: [
    { id: 'front', port: '1-1', grant: 'ivi' },
    { id: 'front-no-hid', port: '1-1', class: 3 },
    { id: 'rear', port: '1-3', grant: 'ivi' },
    { id: 'diag', port: '1-2', inSession: true, grant: 'diag' },
    { id: 'camera', port: '2-1', vendor: 0xca0e, product: 1, class: 0x0e, grant: 'adas' },
  ],
};

function setup(config: P.UsbPlatformConfig = CONFIG) {
  const v = P.validateUsbConfig(config);
  if (!v.ok) throw new Error(v.errors.map((e) => e.code).join());
  const clock = new ModelClock();
  const inbox: UsbGuestEvent[] = [];
  const router = new UsbRouter({ policy: v.policy, clock, deliver: (e) => inbox.push(e) });
  const plug = (path: string, f: Fixture) => router.connect(path, f.device, f.configs);
  const ms = (n: number) => clock.advance(n * 1000);
  const seen = (guest: string) => router.events.filter((e) => e.guest === guest).map((e) => `${e.kind} ${e.path}`);
  const kinds = () => router.log.map((e) => e.kind);
  return { router, clock, inbox, plug, ms, seen, kinds };
}

describe('[AVP-USB-22] an attach goes to the one guest the policy names', () => {
  it('delivers each attach to its guest only, and the same events to the supervisor\'s record', () => {
    const s = setup();
    s.plug('1-1', FLASH);
    s.plug('2-1', CAMERA);
    expect(s.inbox).toEqual(s.router.events);
    expect(s.router.events.map((e) => [e.guest, e.kind, e.path, e.vendor, e.product])).toEqual([
      ['ivi', 'attach', '1-1', 0x5a11, 1],
      ['adas', 'attach', '2-1', 0xca0e, 1],
    ]);
    expect([s.router.holderOf('1-1'), s.router.holderOf('2-1'), s.router.holderOf('1-3')]).toEqual(['ivi', 'adas', undefined]);
  });

  it('sends no event at all for a denied device', () => {
    const s = setup();
    s.plug('1-1', KEYBOARD);
    s.plug('1-2', DONGLE);
    s.plug('2-1', FLASH);
    expect(s.router.events).toEqual([]);
    expect(s.router.devices().map((d) => [d.path, d.state])).toEqual([['1-1', 'denied'], ['1-2', 'denied'], ['2-1', 'denied']]);
  });
});

describe('[AVP-USB-23] a detach always goes to the guest that held the device', () => {
  it('on unplug, and only then', () => {
    const s = setup();
    s.plug('1-1', FLASH);
    s.router.disconnect('1-1');
    s.router.disconnect('1-1'); // twice: the second finds nothing
    expect(s.seen('ivi')).toEqual(['attach 1-1', 'detach 1-1']);
    expect(s.router.events.every((e) => e.guest === 'ivi')).toBe(true);
  });

  it('[AVP-USB-17] when a hub leaves, every device behind it leaves its holder first', () => {
    const s = setup();
    s.plug('1-1', HUB);
    s.plug('1-1.1', FLASH);
    s.plug('1-1.2', KEYBOARD); // denied by front-no-hid
    s.plug('1-1.3', FLASH);
    s.router.disconnect('1-1');
    expect(s.seen('ivi')).toEqual(['attach 1-1.1', 'attach 1-1.3', 'detach 1-1.3', 'detach 1-1.1']);
    expect(s.router.devices()).toEqual([]);
  });

  it('a connection on an occupied port is a missed unplug: the old device leaves its holder first', () => {
    const s = setup();
    s.plug('1-1', FLASH);
    s.plug('1-1', KEYBOARD_DISK);
    expect(s.seen('ivi')).toEqual(['attach 1-1', 'detach 1-1']);
  });
});

describe('[AVP-USB-17] hubs stay with the platform', () => {
  it('never attaches a hub to a guest, whatever the rules say, and routes what is behind it by its own path', () => {
    const s = setup({ ...CONFIG, rules: [{ id: 'all', port: '1-1', grant: 'ivi' }, { id: 'deep', port: '1-1.4', grant: 'diag' }] });
    s.plug('1-1', HUB);
    s.plug('1-1.4', FLASH);
    expect(s.router.events.map((e) => `${e.guest} ${e.path}`)).toEqual(['diag 1-1.4']);
    expect(s.router.log[0]).toMatchObject({ kind: 'hub', path: '1-1' });
  });
});

describe('[AVP-USB-24] a device plugged again is judged afresh', () => {
  it('moving from the front port to the rear and the diagnostic port follows each port\'s rules', () => {
    const s = setup();
    s.plug('1-1', FLASH);
    s.router.disconnect('1-1');
    s.plug('1-3', FLASH);
    s.router.disconnect('1-3');
    s.plug('1-2', FLASH);
    expect(s.router.events.map((e) => `${e.guest} ${e.kind} ${e.path}`)).toEqual(['ivi attach 1-1', 'ivi detach 1-1', 'ivi attach 1-3', 'ivi detach 1-3']);
    expect(s.router.devices()).toMatchObject([{ path: '1-2', state: 'denied' }]);
  });

  it('the camera on the front port is the front port\'s device, not the safety guest\'s', () => {
    const s = setup();
    s.plug('2-1', CAMERA);
    s.router.disconnect('2-1');
    s.plug('1-1', CAMERA);
    expect(s.seen('adas')).toEqual(['attach 2-1', 'detach 2-1']);
    expect(s.seen('ivi')).toEqual(['attach 1-1']);
  });
});

describe('[AVP-USB-25] a device that enumerates again is judged on what it says now', () => {
  const cameraAsDisk: Fixture = { device: D.encodeDevice({ vendor: 0xca0e, product: 1 }), configs: [D.encodeConfiguration({ interfaces: [{ number: 0, class: 8, subClass: 6, protocol: 0x50 }] })] };

  it('unchanged descriptors leave the grant as it is, with no event', () => {
    const s = setup();
    s.plug('2-1', CAMERA);
    s.router.reenumerate('2-1', copy(CAMERA).device, copy(CAMERA).configs);
    expect(s.seen('adas')).toEqual(['attach 2-1']);
  });

  it('changed descriptors end the grant at once; a device that no longer matches stays with nobody', () => {
    const s = setup();
    s.plug('2-1', CAMERA);
    s.router.reenumerate('2-1', cameraAsDisk.device, cameraAsDisk.configs);
    expect(s.seen('adas')).toEqual(['attach 2-1', 'detach 2-1']);
    expect(s.router.devices()).toMatchObject([{ path: '2-1', state: 'denied' }]);
    expect(s.kinds()).toEqual(['granted', 'revoked', 'denied']);
  });

  it('a device that still matches gets a detach and a fresh attach, as a new device', () => {
    const s = setup();
    s.plug('1-1', FLASH);
    s.router.reenumerate('1-1', DONGLE.device, DONGLE.configs);
    expect(s.seen('ivi')).toEqual(['attach 1-1', 'detach 1-1', 'attach 1-1']);
    expect(s.router.events.at(-1)).toMatchObject({ vendor: 0x5a33 });
  });

  it('malformed descriptors on the second enumeration end the grant too', () => {
    const s = setup();
    s.plug('1-1', FLASH);
    const bad = copy(FLASH);
    bad.configs[0][13] = 3;
    s.router.reenumerate('1-1', bad.device, bad.configs);
    expect(s.seen('ivi')).toEqual(['attach 1-1', 'detach 1-1']);
    expect(s.router.log.at(-1)).toMatchObject({ kind: 'malformed' });
  });

  it('a re-enumeration of a port with nothing on it is a connection', () => {
    const s = setup();
    s.router.reenumerate('1-1', FLASH.device, FLASH.configs);
    expect(s.seen('ivi')).toEqual(['attach 1-1']);
  });

  it('a hub that enumerates again with new descriptors loses what was behind it', () => {
    const s = setup();
    s.plug('1-3', HUB);
    s.plug('1-3.1', FLASH);
    const hub2 = copy(HUB);
    hub2.device[12] = 2; // bcdDevice changed
    s.router.reenumerate('1-3', hub2.device, hub2.configs);
    expect(s.seen('ivi')).toEqual(['attach 1-3.1', 'detach 1-3.1']);
  });
});

describe('[AVP-USB-18] grants that rest on a service session end with it', () => {
  it('the diagnostic port is nobody\'s until a session opens, and nobody\'s again when it closes', () => {
    const s = setup();
    s.plug('1-2', DONGLE);
    expect(s.router.events).toEqual([]);
    s.router.openSession();
    s.router.openSession(); // already open: nothing new
    expect(s.seen('diag')).toEqual(['attach 1-2']);
    s.router.closeSession();
    s.router.closeSession();
    expect(s.seen('diag')).toEqual(['attach 1-2', 'detach 1-2']);
    expect(s.kinds()).toEqual(['denied', 'session', 'granted', 'session', 'revoked', 'denied']);
  });

  it('a device plugged during the session is granted at once; other ports are untouched by the session', () => {
    const s = setup();
    s.plug('1-1', FLASH);
    s.router.openSession();
    s.plug('1-2', DONGLE);
    s.router.closeSession();
    expect(s.seen('ivi')).toEqual(['attach 1-1']);
    expect(s.seen('diag')).toEqual(['attach 1-2', 'detach 1-2']);
    expect(s.router.sessionOpen).toBe(false);
  });
});

describe('[AVP-USB-19] [AVP-USB-29] a malformed device is recorded by its error and routed nowhere', () => {
  it('logs the error condition with where and at which byte', () => {
    const s = setup();
    const bad = copy(FLASH);
    bad.configs[0][2] += 16;
    s.plug('1-1', bad);
    expect(s.router.events).toEqual([]);
    expect(s.router.log).toEqual([{ at: 0, kind: 'malformed', path: '1-1', detail: 'TOTAL_LENGTH_MISMATCH in configuration 0 at byte 2: wTotalLength 48, 32 bytes read' }]);
    s.router.disconnect('1-1');
    expect(s.router.events).toEqual([]);
  });

  it('records every grant, denial with its reason, throttle and quarantine', () => {
    const s = setup();
    s.plug('1-1', FLASH);
    s.router.disconnect('1-1');
    s.plug('1-1', KEYBOARD);
    expect(s.router.log.map((e) => `${e.kind} ${e.guest ?? '-'} ${e.detail}`)).toEqual([
      'granted ivi by front',
      'left ivi unplugged',
      'denied - denied-by-rule: config 1 interface 0 alt 0 (03/01/01): rule front-no-hid denies',
    ]);
  });
});

describe('[AVP-USB-26] enumeration of one port is rate limited', () => {
  it('the fifth enumeration within a second waits until the window allows it, then happens without a new plug', () => {
    const s = setup();
    for (let i = 0; i < 4; i++) {
      s.plug('1-1', FLASH);
      s.router.disconnect('1-1');
      s.ms(100);
    }
    s.plug('1-1', FLASH); // at 400 ms: the 5th within 1 s
    expect(s.router.devices()).toMatchObject([{ path: '1-1', state: 'pending' }]);
    expect(s.router.log.at(-1)).toMatchObject({ kind: 'throttled', path: '1-1', at: 400_000 });
    expect(s.seen('ivi').filter((e) => e.startsWith('attach'))).toHaveLength(4);
    s.ms(599);
    expect(s.router.holderOf('1-1')).toBeUndefined();
    s.ms(1); // 1000 ms: the enumeration at 0 ms has left the window
    expect(s.router.holderOf('1-1')).toBe('ivi');
    expect(s.router.events.at(-1)).toMatchObject({ kind: 'attach', at: 1_000_000 });
  });

  it('a throttled device unplugged before its turn causes no event', () => {
    const s = setup();
    for (let i = 0; i < 5; i++) {
      s.plug('1-1', FLASH);
      s.router.disconnect('1-1');
    }
    s.ms(2000);
    expect(s.router.events.filter((e) => e.kind === 'attach')).toHaveLength(4);
    expect(s.router.devices()).toEqual([]);
  });

  it('the limits are the platform\'s to set', () => {
    const v = P.validateUsbConfig(CONFIG);
    if (!v.ok) return;
    const r = new UsbRouter({ policy: v.policy, clock: new ModelClock(), limits: { maxEnumsPerWindow: 1 } });
    expect(r.limits).toEqual({ ...DEFAULT_USB_LIMITS, maxEnumsPerWindow: 1 });
    r.connect('1-1', FLASH.device, FLASH.configs);
    r.disconnect('1-1');
    r.connect('1-1', FLASH.device, FLASH.configs);
    expect(r.devices()).toMatchObject([{ state: 'pending' }]);
  });
});

describe('[AVP-USB-27] a port that connects too often is quarantined', () => {
  it('the tenth connection within 10 s shuts the port: its device leaves its holder, later ones are ignored', () => {
    const s = setup();
    for (let i = 0; i < 9; i++) {
      s.router.reenumerate('1-1', i % 2 ? DONGLE.device : FLASH.device, i % 2 ? DONGLE.configs : FLASH.configs);
      s.ms(1000);
    }
    expect(s.router.isQuarantined('1-1')).toBe(false);
    expect(s.router.holderOf('1-1')).toBe('ivi');
    s.router.reenumerate('1-1', FLASH.device, FLASH.configs); // the 10th, at 9 s
    expect(s.router.isQuarantined('1-1')).toBe(true);
    expect(s.router.devices()).toEqual([]);
    expect(s.seen('ivi').at(-1)).toBe('detach 1-1');
    expect(s.router.log.at(-1)).toMatchObject({ kind: 'quarantined', path: '1-1', detail: '10 connections in 10000 ms' });
    const before = s.router.events.length;
    s.plug('1-1', FLASH);
    s.plug('1-1.2', FLASH);
    expect(s.router.events.length).toBe(before);
    expect(s.router.log.at(-1)).toMatchObject({ kind: 'ignored', path: '1-1.2' });
  });

  it('connections spread over more than the window do not add up', () => {
    const s = setup();
    for (let i = 0; i < 30; i++) {
      s.plug('1-1', FLASH); // one every 1.2 s: never more than nine in any 10 s
      s.router.disconnect('1-1');
      s.ms(1200);
    }
    expect(s.router.isQuarantined('1-1')).toBe(false);
    expect(s.seen('ivi')).toHaveLength(60);
  });

  it('stays shut until the quarantine is cleared, then starts with a clean count', () => {
    const s = setup();
    for (let i = 0; i < 10; i++) {
      s.plug('1-3', FLASH);
      s.router.disconnect('1-3');
    }
    s.ms(60_000);
    s.plug('1-3', FLASH);
    expect(s.router.holderOf('1-3')).toBeUndefined();
    expect(s.router.clearQuarantine('1-3')).toBe(true);
    expect(s.router.clearQuarantine('1-3')).toBe(false);
    s.plug('1-3', FLASH);
    expect(s.router.holderOf('1-3')).toBe('ivi');
    expect(s.kinds().filter((k) => k === 'quarantined' || k === 'cleared' || k === 'ignored')).toEqual(['quarantined', 'ignored', 'cleared']);
  });
});

describe('[AVP-USB-28] a misbehaving device does nothing to another guest', () => {
  it('a storm on the front port sends the safety guest no event and does not delay its camera', () => {
    const s = setup();
    s.plug('2-1', CAMERA);
    for (let i = 0; i < 40; i++) {
      s.plug('1-1', i % 3 ? KEYBOARD_DISK : FLASH);
      s.ms(10);
      s.router.disconnect('1-1');
      if (i === 20) {
        s.router.disconnect('2-1');
        s.plug('2-1', CAMERA); // the camera is re-plugged in the middle of the storm: enumerated at once
        expect(s.router.holderOf('2-1')).toBe('adas');
      }
    }
    expect(s.router.isQuarantined('1-1')).toBe(true);
    expect(s.seen('adas')).toEqual(['attach 2-1', 'detach 2-1', 'attach 2-1']);
    expect(s.router.events.filter((e) => e.guest !== 'adas').every((e) => e.guest === 'ivi' && e.path === '1-1')).toBe(true);
  });

  it('a quarantine behind a hub shuts that port only', () => {
    const s = setup();
    s.plug('1-3', HUB);
    s.plug('1-3.1', FLASH);
    for (let i = 0; i < 10; i++) {
      s.plug('1-3.2', FLASH);
      s.router.disconnect('1-3.2');
    }
    expect([s.router.isQuarantined('1-3.2'), s.router.isQuarantined('1-3.1'), s.router.isQuarantined('1-3')]).toEqual([true, false, false]);
    expect(s.router.holderOf('1-3.1')).toBe('ivi');
  });
});

describe('[AVP-USB-7] ports the router does not own', () => {
  it('refuses, as a platform error, a connection on a passed-through controller\'s port, an undeclared port or a bad path', () => {
    const s = setup();
    expect(() => s.plug('3-1', CAMERA)).toThrow(RangeError);
    expect(() => s.plug('4-1', CAMERA)).toThrow(/behind no declared root port/);
    expect(() => s.router.disconnect('1-x')).toThrow(/not a port path/);
    expect(s.router.events).toEqual([]);
  });
});
