// USB descriptor parsing: real-shaped descriptor sets parse to their fields, and every way a set
// can be malformed is one named error, found at a stated offset, with nothing of the set used.
import { describe, expect, it } from 'vitest';
import * as D from '../../../../src/lib/devices/usb/descriptors.ts';
import { CAMERA, FLASH, HUB, KEYBOARD, KEYBOARD_DISK, SS_DISK, copy, hex } from './fixtures.ts';

const code = (r: D.Parsed<unknown>) => (r.ok ? 'ok' : r.error.code);

describe('USB descriptors: devices as they come', () => {
  it('[AVP-USB-19] parses a flash drive: device fields and one bulk-only mass-storage interface', () => {
    const r = D.parseUsbDevice(FLASH.device, FLASH.configs);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.device).toMatchObject({ bcdUSB: 0x0200, deviceClass: 0, maxPacketSize0: 64, vendor: 0x5a11, product: 0x0001, numConfigurations: 1 });
    const c = r.value.configurations[0];
    expect(c).toMatchObject({ totalLength: 32, numInterfaces: 1, value: 1, attributes: 0x80, maxPower: 0x32 });
    expect(c.interfaces).toEqual([{ number: 0, alternate: 0, numEndpoints: 2, class: 8, subClass: 6, protocol: 0x50, endpoints: [
      { address: 0x81, attributes: 2, maxPacketSize: 512, interval: 0 },
      { address: 0x02, attributes: 2, maxPacketSize: 512, interval: 0 },
    ] }]);
  });

  it('[AVP-USB-19] steps over class-specific descriptors (HID) and keeps every interface of a composite device', () => {
    const k = D.parseUsbDevice(KEYBOARD.device, KEYBOARD.configs);
    expect(k.ok && k.value.configurations[0].interfaces.map((i) => [i.class, i.subClass, i.protocol, i.endpoints.length])).toEqual([[3, 1, 1, 1]]);
    const kd = D.parseUsbDevice(KEYBOARD_DISK.device, KEYBOARD_DISK.configs);
    expect(kd.ok && kd.value.configurations[0].interfaces.map((i) => [i.number, i.class])).toEqual([[0, 3], [1, 8]]);
  });

  it('[AVP-USB-19] keeps interface associations and every alternate setting (a UVC camera)', () => {
    const r = D.parseUsbDevice(CAMERA.device, CAMERA.configs);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.device).toMatchObject({ deviceClass: 0xef, deviceSubClass: 2, deviceProtocol: 1 });
    const c = r.value.configurations[0];
    expect(c.associations).toEqual([{ firstInterface: 0, interfaceCount: 2, class: 0x0e, subClass: 3, protocol: 0 }]);
    expect(c.interfaces.map((i) => `${i.number}/${i.alternate}:${i.subClass}:${i.endpoints.length}`)).toEqual(['0/0:1:1', '1/0:2:0', '1/1:2:1']);
  });

  it('[AVP-USB-21] accepts a USB 3.2 device: bMaxPacketSize0 9, SuperSpeed endpoint companions', () => {
    const r = D.parseUsbDevice(SS_DISK.device, SS_DISK.configs);
    expect(r.ok && [r.value.device.bcdUSB, r.value.device.maxPacketSize0, r.value.configurations[0].interfaces[0].endpoints.length]).toEqual([0x0320, 9, 2]);
    expect(code(D.parseUsbDevice(HUB.device, HUB.configs))).toBe('ok');
  });

  it('[AVP-USB-19] encodes what it parses: the builder and the parser agree', () => {
    const spec: D.ConfigurationSpec = {
      attributes: 0xc0,
      maxPower: 100,
      associations: [{ firstInterface: 0, interfaceCount: 2, class: 1, subClass: 0, protocol: 0x20 }],
      interfaces: [
        { number: 0, class: 1, subClass: 1, protocol: 0x20 },
        { number: 1, class: 1, subClass: 2, protocol: 0x20 },
        { number: 1, alternate: 1, class: 1, subClass: 2, protocol: 0x20, endpoints: [{ address: 0x01, attributes: 0x0d, maxPacketSize: 192, interval: 1 }], extra: hex('07 24 01 01 01 01 00') },
      ],
    };
    const r = D.parseUsbDevice(D.encodeDevice({ vendor: 0x1234, product: 0x5678, class: 0xef, subClass: 2, protocol: 1 }), [D.encodeConfiguration(spec)]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.device).toMatchObject({ vendor: 0x1234, product: 0x5678 });
    expect(r.value.configurations[0]).toMatchObject({ numInterfaces: 2, attributes: 0xc0, maxPower: 100 });
    expect(r.value.configurations[0].interfaces.map((i) => [i.number, i.alternate, i.endpoints.length])).toEqual([[0, 0, 0], [1, 0, 0], [1, 1, 1]]);
    expect(D.encodeDevice({ vendor: 1, product: 2, bcdUSB: 0x0310 })[7]).toBe(9);
  });
});

/** The flash drive's configuration set with `edit` applied (offsets into the set). */
function cfg(edit: (b: Uint8Array) => Uint8Array | void): Uint8Array {
  const b = copy(FLASH).configs[0];
  return edit(b) ?? b;
}
/** The flash drive's device descriptor with `edit` applied. */
function dev(edit: (b: Uint8Array) => Uint8Array | void): Uint8Array {
  const b = FLASH.device.slice();
  return edit(b) ?? b;
}
const setTotal = (b: Uint8Array) => {
  b[2] = b.length & 0xff;
  b[3] = b.length >> 8;
  return b;
};

describe('[AVP-USB-20] lengths and counts that disagree are one named error, never a partial parse', () => {
  const cases: [string, Uint8Array, D.UsbDescErrorCode, number][] = [
    ['a configuration set shorter than its header', cfg((b) => b.slice(0, 5)), 'DESC_TRUNCATED', 5],
    ['wTotalLength larger than the bytes read', cfg((b) => { b[2] += 7; }), 'TOTAL_LENGTH_MISMATCH', 2],
    ['wTotalLength smaller than the bytes read', cfg((b) => { b[2] -= 7; }), 'TOTAL_LENGTH_MISMATCH', 2],
    ['a configuration bLength of 8', cfg((b) => { b[0] = 8; }), 'DESC_BAD_LENGTH', 0],
    ['a zero bLength inside the set (never a step of zero)', cfg((b) => { b[25] = 0; }), 'DESC_BAD_LENGTH', 25],
    ['a bLength of 1', cfg((b) => { b[18] = 1; }), 'DESC_BAD_LENGTH', 18],
    ['an interface descriptor of 10 bytes', cfg((b) => { b[9] = 10; }), 'DESC_BAD_LENGTH', 9],
    ['an endpoint descriptor of 8 bytes', cfg((b) => { b[18] = 8; }), 'DESC_BAD_LENGTH', 18],
    ['a bLength reaching past wTotalLength', cfg((b) => { b[25] = 9; }), 'DESC_TRUNCATED', 25],
    ['one byte left at the end of the set', cfg((b) => setTotal(Uint8Array.from([...b, 0x07]))), 'DESC_TRUNCATED', 32],
    ['bNumInterfaces 2 for one interface', cfg((b) => { b[4] = 2; }), 'INTERFACE_COUNT_MISMATCH', 4],
    ['bNumInterfaces 0 for one interface', cfg((b) => { b[4] = 0; }), 'INTERFACE_COUNT_MISMATCH', 4],
    ['bNumEndpoints 3 for two endpoint descriptors', cfg((b) => { b[13] = 3; }), 'ENDPOINT_COUNT_MISMATCH', 13],
    ['bNumEndpoints 1 for two endpoint descriptors', cfg((b) => { b[13] = 1; }), 'ENDPOINT_COUNT_MISMATCH', 13],
  ];
  it.each(cases)('%s', (_what, bytes, expected, offset) => {
    const r = D.parseConfiguration(bytes);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect([r.error.code, r.error.offset, r.error.where]).toEqual([expected, offset, 'configuration 0']);
    expect(r).not.toHaveProperty('value');
  });

  it('a device descriptor cut short, one too long, or with a bLength other than 18', () => {
    expect(code(D.parseDeviceDescriptor(FLASH.device.slice(0, 17)))).toBe('DESC_TRUNCATED');
    expect(code(D.parseDeviceDescriptor(Uint8Array.from([...FLASH.device, 0])))).toBe('DESC_TRAILING');
    expect(code(D.parseDeviceDescriptor(dev((b) => { b[0] = 9; })))).toBe('DESC_BAD_LENGTH');
    expect(code(D.parseDeviceDescriptor(new Uint8Array(0)))).toBe('DESC_TRUNCATED');
  });

  it('bNumConfigurations other than the number of configuration sets read, and 0', () => {
    const r = D.parseUsbDevice(FLASH.device, [...FLASH.configs, ...FLASH.configs]);
    expect(r.ok ? 'ok' : [r.error.code, r.error.where, r.error.offset]).toEqual(['CONFIGURATION_COUNT_MISMATCH', 'device', 17]);
    expect(code(D.parseUsbDevice(FLASH.device, []))).toBe('CONFIGURATION_COUNT_MISMATCH');
    expect(code(D.parseUsbDevice(dev((b) => { b[17] = 0; }), []))).toBe('NO_CONFIGURATION');
  });

  it('names the configuration set an error is in, and uses none of the device', () => {
    const two = dev((b) => { b[17] = 2; });
    const r = D.parseUsbDevice(two, [FLASH.configs[0], cfg((b) => { b[13] = 5; })]);
    expect(r.ok ? 'ok' : [r.error.code, r.error.where]).toEqual(['ENDPOINT_COUNT_MISMATCH', 'configuration 1']);
  });
});

describe('[AVP-USB-21] fields a device cannot get wrong and still be routed', () => {
  const devCases: [string, Uint8Array, D.UsbDescErrorCode][] = [
    ['a device descriptor of type STRING', dev((b) => { b[1] = 3; }), 'DESC_BAD_TYPE'],
    ['bcdUSB 0x020a (not BCD)', dev((b) => { b[2] = 0x0a; }), 'BAD_BCD_USB'],
    ['bcdUSB 0x0000', dev((b) => { b[2] = 0; b[3] = 0; }), 'BAD_BCD_USB'],
    ['bcdUSB 4.00', dev((b) => { b[3] = 4; }), 'BAD_BCD_USB'],
    ['bMaxPacketSize0 12', dev((b) => { b[7] = 12; }), 'BAD_MAX_PACKET_0'],
    ['bMaxPacketSize0 64 with bcdUSB 3.00', dev((b) => { b[3] = 3; }), 'BAD_MAX_PACKET_0'],
    ['class 00 with subclass 01', dev((b) => { b[5] = 1; }), 'BAD_CLASS_CODES'],
    ['class 00 with protocol 01', dev((b) => { b[6] = 1; }), 'BAD_CLASS_CODES'],
  ];
  it.each(devCases)('device: %s', (_w, bytes, expected) => expect(code(D.parseDeviceDescriptor(bytes))).toBe(expected));

  const insert = (at: number, bytes: number[]) => cfg((b) => setTotal(Uint8Array.from([...b.slice(0, at), ...bytes, ...b.slice(at)])));
  const cfgCases: [string, Uint8Array, D.UsbDescErrorCode][] = [
    ['a configuration of type DEVICE', cfg((b) => { b[1] = 1; }), 'DESC_BAD_TYPE'],
    ['bmAttributes without bit 7', cfg((b) => { b[7] = 0x40; }), 'BAD_CONFIG_ATTRIBUTES'],
    ['bmAttributes with reserved bit 0', cfg((b) => { b[7] = 0x81; }), 'BAD_CONFIG_ATTRIBUTES'],
    ['a device descriptor inside the set', insert(9, [...FLASH.device]), 'DESC_BAD_TYPE'],
    ['a string descriptor inside the set', insert(32, [4, 3, 0x41, 0]), 'DESC_BAD_TYPE'],
    ['a BOS descriptor inside the set', insert(32, [5, 0x0f, 5, 0, 0]), 'DESC_BAD_TYPE'],
    ['the same interface and alternate setting twice', insert(32, [9, 4, 0, 0, 0, 8, 6, 0x50, 0]), 'DUPLICATE_INTERFACE'],
    ['an endpoint before any interface', insert(9, [7, 5, 0x83, 2, 0, 2, 0]), 'ORPHAN_ENDPOINT'],
    ['endpoint number 0', cfg((b) => { b[20] = 0x80; }), 'BAD_ENDPOINT_ADDRESS'],
    ['a reserved endpoint address bit', cfg((b) => { b[20] = 0x91; }), 'BAD_ENDPOINT_ADDRESS'],
    ['an interface association of 9 bytes', insert(9, [9, 0x0b, 0, 1, 8, 6, 0x50, 0, 0]), 'DESC_BAD_LENGTH'],
    ['a SuperSpeed companion of 7 bytes', insert(25, [7, 0x30, 0, 0, 0, 0, 0]), 'DESC_BAD_LENGTH'],
  ];
  it.each(cfgCases)('configuration: %s', (_w, bytes, expected) => expect(code(D.parseConfiguration(bytes))).toBe(expected));

  it('accepts what USB allows: class-specific descriptors of any length, a 9-byte audio endpoint, a second alternate setting', () => {
    expect(code(D.parseConfiguration(insert(18, [5, 0x24, 1, 2, 3])))).toBe('ok');
    const audioEp = cfg((b) => setTotal(Uint8Array.from([...b.slice(0, 18), 9, 5, 0x81, 1, 0xc0, 0, 1, 0, 0, ...b.slice(25)])));
    expect(code(D.parseConfiguration(audioEp))).toBe('ok');
    expect(code(D.parseConfiguration(insert(32, [9, 4, 0, 1, 0, 8, 6, 0x50, 0])))).toBe('ok');
  });

  it('names classes for the log', () => {
    expect([D.className(8), D.className(0xe0), D.className(0x42)]).toEqual(['mass storage', 'wireless controller', 'class 0x42']);
  });
});
