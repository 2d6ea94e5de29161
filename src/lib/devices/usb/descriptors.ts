// USB descriptors as the platform reads them from a newly connected device, before it decides
// which guest (if any) gets it: the device descriptor (USB 2.0 9.6.1) and every configuration
// set, that is a configuration descriptor (9.6.3) followed by its interface (9.6.5), endpoint
// (9.6.6), interface association and class- or vendor-specific descriptors. The parser is strict:
// a set whose lengths or counts disagree is one named error with the offset where it was found,
// and nothing of it is used. A device the platform cannot read exactly is a device it routes
// nowhere. VIRTIO 1.4 has nothing to say here: it reserves device ID 49 for a USB controller (§5)
// and specifies no protocol for it.

// #region descriptor-constants
/** bDescriptorType values (USB 2.0 table 9-5; USB 3.2 adds the last four). */
export const USB_DT_DEVICE = 0x01;
export const USB_DT_CONFIG = 0x02;
export const USB_DT_STRING = 0x03;
export const USB_DT_INTERFACE = 0x04;
export const USB_DT_ENDPOINT = 0x05;
export const USB_DT_DEVICE_QUALIFIER = 0x06;
export const USB_DT_OTHER_SPEED_CONFIG = 0x07;
export const USB_DT_INTERFACE_ASSOCIATION = 0x0b;
export const USB_DT_BOS = 0x0f;
export const USB_DT_DEVICE_CAPABILITY = 0x10;
export const USB_DT_SS_ENDPOINT_COMP = 0x30;
export const USB_DT_SSP_ISOC_ENDPOINT_COMP = 0x31;

/** The fixed sizes (bLength) the parser insists on. */
export const USB_DEVICE_DESC_SIZE = 18;
export const USB_CONFIG_DESC_SIZE = 9;
export const USB_INTERFACE_DESC_SIZE = 9;
export const USB_ENDPOINT_DESC_SIZES = [7, 9] as const; // 9: the audio class's longer form
export const USB_IAD_SIZE = 8;
export const USB_SS_EP_COMP_SIZE = 6;
export const USB_SSP_ISOC_EP_COMP_SIZE = 8;

/** Types that describe a device or a string, never part of a configuration set. */
const NOT_IN_A_CONFIGURATION = new Set([USB_DT_DEVICE, USB_DT_CONFIG, USB_DT_STRING, USB_DT_DEVICE_QUALIFIER, USB_DT_OTHER_SPEED_CONFIG, USB_DT_BOS, USB_DT_DEVICE_CAPABILITY]);

/** Base class codes (usb.org "Defined Class Codes"), the ones the chapter and the model name. */
export const USB_CLASS_PER_INTERFACE = 0x00;
export const USB_CLASS_AUDIO = 0x01;
export const USB_CLASS_COMM = 0x02;
export const USB_CLASS_HID = 0x03;
export const USB_CLASS_STILL_IMAGE = 0x06;
export const USB_CLASS_PRINTER = 0x07;
export const USB_CLASS_MASS_STORAGE = 0x08;
export const USB_CLASS_HUB = 0x09;
export const USB_CLASS_CDC_DATA = 0x0a;
export const USB_CLASS_VIDEO = 0x0e;
export const USB_CLASS_DIAGNOSTIC = 0xdc;
export const USB_CLASS_WIRELESS = 0xe0;
export const USB_CLASS_MISC = 0xef;
export const USB_CLASS_APP_SPECIFIC = 0xfe;
export const USB_CLASS_VENDOR = 0xff;
// #endregion descriptor-constants

const CLASS_NAMES: Record<number, string> = {
  0x00: 'per-interface', 0x01: 'audio', 0x02: 'communications', 0x03: 'HID', 0x05: 'physical', 0x06: 'image',
  0x07: 'printer', 0x08: 'mass storage', 0x09: 'hub', 0x0a: 'CDC data', 0x0b: 'smart card', 0x0d: 'content security',
  0x0e: 'video', 0x0f: 'personal healthcare', 0x10: 'audio/video', 0x11: 'billboard', 0xdc: 'diagnostic',
  0xe0: 'wireless controller', 0xef: 'miscellaneous', 0xfe: 'application specific', 0xff: 'vendor specific',
};
export function className(c: number): string {
  return CLASS_NAMES[c] ?? `class 0x${c.toString(16).padStart(2, '0')}`;
}

// #region descriptor-errors
export const USB_DESC_ERROR_CODES = [
  'DESC_TRUNCATED', // the bytes end inside a descriptor: fewer than its fixed size, or a bLength reaching past the end
  'DESC_TRAILING', // bytes after the device descriptor
  'DESC_BAD_LENGTH', // a bLength below 2, or other than the size its type has
  'DESC_BAD_TYPE', // a descriptor type that cannot stand where it stands
  'TOTAL_LENGTH_MISMATCH', // wTotalLength is not the number of bytes of the configuration set
  'INTERFACE_COUNT_MISMATCH', // bNumInterfaces is not the number of distinct interfaces the set describes
  'ENDPOINT_COUNT_MISMATCH', // an interface's bNumEndpoints is not the number of endpoint descriptors after it
  'CONFIGURATION_COUNT_MISMATCH', // bNumConfigurations is not the number of configuration sets the device returned
  'DUPLICATE_INTERFACE', // one interface number and alternate setting described twice
  'ORPHAN_ENDPOINT', // an endpoint descriptor before any interface descriptor
  'BAD_ENDPOINT_ADDRESS', // endpoint number 0, or a reserved bit of bEndpointAddress set
  'BAD_BCD_USB', // bcdUSB not binary-coded decimal, or a major version outside 1 to 3
  'BAD_MAX_PACKET_0', // bMaxPacketSize0 not 8, 16, 32 or 64 (for bcdUSB 3.00 and later: not 9)
  'BAD_CLASS_CODES', // bDeviceClass 0 with a non-zero bDeviceSubClass or bDeviceProtocol
  'NO_CONFIGURATION', // bNumConfigurations 0
  'BAD_CONFIG_ATTRIBUTES', // bmAttributes with bit 7 clear or a reserved bit 0 to 4 set
] as const;
export type UsbDescErrorCode = (typeof USB_DESC_ERROR_CODES)[number];

export interface UsbDescError {
  readonly code: UsbDescErrorCode;
  /** Which read: 'device' or 'configuration N' (N from 0, in the order the device returned them). */
  readonly where: string;
  /** Byte offset within that read where the error was found. */
  readonly offset: number;
  readonly detail: string;
}
export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: UsbDescError };
// #endregion descriptor-errors

export interface DeviceDescriptor {
  readonly bcdUSB: number;
  readonly deviceClass: number;
  readonly deviceSubClass: number;
  readonly deviceProtocol: number;
  readonly maxPacketSize0: number;
  readonly vendor: number;
  readonly product: number;
  readonly bcdDevice: number;
  readonly iManufacturer: number;
  readonly iProduct: number;
  readonly iSerialNumber: number;
  readonly numConfigurations: number;
}

export interface EndpointDescriptor {
  readonly address: number;
  readonly attributes: number;
  readonly maxPacketSize: number;
  readonly interval: number;
}

export interface InterfaceDescriptor {
  readonly number: number;
  readonly alternate: number;
  readonly numEndpoints: number;
  readonly class: number;
  readonly subClass: number;
  readonly protocol: number;
  readonly endpoints: readonly EndpointDescriptor[];
}

export interface InterfaceAssociation {
  readonly firstInterface: number;
  readonly interfaceCount: number;
  readonly class: number;
  readonly subClass: number;
  readonly protocol: number;
}

export interface ConfigurationDescriptor {
  readonly totalLength: number;
  readonly numInterfaces: number;
  readonly value: number;
  readonly attributes: number;
  readonly maxPower: number;
  readonly interfaces: readonly InterfaceDescriptor[];
  readonly associations: readonly InterfaceAssociation[];
}

export interface UsbDeviceInfo {
  readonly device: DeviceDescriptor;
  readonly configurations: readonly ConfigurationDescriptor[];
}

const u16 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);
const isBcd = (v: number) => [0, 4, 8, 12].every((s) => ((v >> s) & 0xf) <= 9);

// #region parse-device
/** Exactly the 18 bytes of a device descriptor (USB 2.0 9.6.1), checked field by field. */
export function parseDeviceDescriptor(b: Uint8Array): Parsed<DeviceDescriptor> {
  const fail = (code: UsbDescErrorCode, offset: number, detail: string): Parsed<DeviceDescriptor> => ({ ok: false, error: { code, where: 'device', offset, detail } });
  if (b.length < USB_DEVICE_DESC_SIZE) return fail('DESC_TRUNCATED', b.length, `${b.length} bytes, a device descriptor has 18`);
  if (b[0] !== USB_DEVICE_DESC_SIZE) return fail('DESC_BAD_LENGTH', 0, `bLength ${b[0]}, a device descriptor has 18`);
  if (b[1] !== USB_DT_DEVICE) return fail('DESC_BAD_TYPE', 1, `bDescriptorType 0x${b[1].toString(16)}, not DEVICE`);
  if (b.length > USB_DEVICE_DESC_SIZE) return fail('DESC_TRAILING', USB_DEVICE_DESC_SIZE, `${b.length - USB_DEVICE_DESC_SIZE} bytes after the descriptor`);
  const bcdUSB = u16(b, 2);
  if (!isBcd(bcdUSB) || bcdUSB >> 8 < 1 || bcdUSB >> 8 > 3) return fail('BAD_BCD_USB', 2, `bcdUSB 0x${bcdUSB.toString(16).padStart(4, '0')}`);
  const [deviceClass, deviceSubClass, deviceProtocol, maxPacketSize0] = [b[4], b[5], b[6], b[7]];
  if (deviceClass === USB_CLASS_PER_INTERFACE && (deviceSubClass !== 0 || deviceProtocol !== 0)) return fail('BAD_CLASS_CODES', 5, `class 0 with subclass ${deviceSubClass}, protocol ${deviceProtocol}`);
  const mps0Ok = bcdUSB >= 0x0300 ? maxPacketSize0 === 9 : [8, 16, 32, 64].includes(maxPacketSize0);
  if (!mps0Ok) return fail('BAD_MAX_PACKET_0', 7, `bMaxPacketSize0 ${maxPacketSize0} for bcdUSB 0x${bcdUSB.toString(16).padStart(4, '0')}`);
  const numConfigurations = b[17];
  if (numConfigurations === 0) return fail('NO_CONFIGURATION', 17, 'bNumConfigurations 0');
  return {
    ok: true,
    value: {
      bcdUSB, deviceClass, deviceSubClass, deviceProtocol, maxPacketSize0,
      vendor: u16(b, 8), product: u16(b, 10), bcdDevice: u16(b, 12),
      iManufacturer: b[14], iProduct: b[15], iSerialNumber: b[16], numConfigurations,
    },
  };
}
// #endregion parse-device

// #region parse-configuration
/**
 * One configuration set, exactly wTotalLength bytes: the configuration descriptor, then a walk
 * over every descriptor by its bLength. The walk stops at the first error; a bLength below 2
 * is an error, never a step of zero.
 */
export function parseConfiguration(b: Uint8Array, where = 'configuration 0'): Parsed<ConfigurationDescriptor> {
  const fail = (code: UsbDescErrorCode, offset: number, detail: string): Parsed<ConfigurationDescriptor> => ({ ok: false, error: { code, where, offset, detail } });
  if (b.length < USB_CONFIG_DESC_SIZE) return fail('DESC_TRUNCATED', b.length, `${b.length} bytes, a configuration descriptor has 9`);
  if (b[0] !== USB_CONFIG_DESC_SIZE) return fail('DESC_BAD_LENGTH', 0, `bLength ${b[0]}, a configuration descriptor has 9`);
  if (b[1] !== USB_DT_CONFIG) return fail('DESC_BAD_TYPE', 1, `bDescriptorType 0x${b[1].toString(16)}, not CONFIGURATION`);
  const totalLength = u16(b, 2);
  if (totalLength !== b.length) return fail('TOTAL_LENGTH_MISMATCH', 2, `wTotalLength ${totalLength}, ${b.length} bytes read`);
  const attributes = b[7];
  if ((attributes & 0x80) === 0 || (attributes & 0x1f) !== 0) return fail('BAD_CONFIG_ATTRIBUTES', 7, `bmAttributes 0x${attributes.toString(16).padStart(2, '0')}`);

  const interfaces: InterfaceDescriptor[] = [];
  const associations: InterfaceAssociation[] = [];
  const seen = new Set<string>();
  let current: { d: Omit<InterfaceDescriptor, 'endpoints'>; endpoints: EndpointDescriptor[]; at: number } | undefined;
  const close = (): Parsed<ConfigurationDescriptor> | undefined => {
    if (!current) return undefined;
    const c = current;
    current = undefined;
    if (c.endpoints.length !== c.d.numEndpoints) return fail('ENDPOINT_COUNT_MISMATCH', c.at + 4, `interface ${c.d.number} alternate ${c.d.alternate}: bNumEndpoints ${c.d.numEndpoints}, ${c.endpoints.length} endpoint descriptors`);
    interfaces.push({ ...c.d, endpoints: c.endpoints });
    return undefined;
  };

  let o = USB_CONFIG_DESC_SIZE;
  while (o < b.length) {
    if (o + 2 > b.length) return fail('DESC_TRUNCATED', o, 'one byte left where a descriptor starts');
    const len = b[o];
    const type = b[o + 1];
    if (len < 2) return fail('DESC_BAD_LENGTH', o, `bLength ${len}`);
    if (o + len > b.length) return fail('DESC_TRUNCATED', o, `bLength ${len} reaches ${o + len - b.length} bytes past wTotalLength`);
    const sized = (ok: boolean, what: string) => (ok ? undefined : fail('DESC_BAD_LENGTH', o, `bLength ${len} for ${what}`));
    if (NOT_IN_A_CONFIGURATION.has(type)) return fail('DESC_BAD_TYPE', o + 1, `descriptor type 0x${type.toString(16).padStart(2, '0')} inside a configuration set`);
    if (type === USB_DT_INTERFACE) {
      const bad = sized(len === USB_INTERFACE_DESC_SIZE, 'an interface descriptor') ?? close();
      if (bad) return bad;
      const key = `${b[o + 2]}/${b[o + 3]}`;
      if (seen.has(key)) return fail('DUPLICATE_INTERFACE', o + 2, `interface ${b[o + 2]} alternate ${b[o + 3]} described twice`);
      seen.add(key);
      current = { d: { number: b[o + 2], alternate: b[o + 3], numEndpoints: b[o + 4], class: b[o + 5], subClass: b[o + 6], protocol: b[o + 7] }, endpoints: [], at: o };
    } else if (type === USB_DT_ENDPOINT) {
      const bad = sized((USB_ENDPOINT_DESC_SIZES as readonly number[]).includes(len), 'an endpoint descriptor');
      if (bad) return bad;
      if (!current) return fail('ORPHAN_ENDPOINT', o, 'an endpoint descriptor before any interface descriptor');
      const address = b[o + 2];
      if ((address & 0x0f) === 0 || (address & 0x70) !== 0) return fail('BAD_ENDPOINT_ADDRESS', o + 2, `bEndpointAddress 0x${address.toString(16).padStart(2, '0')}`);
      current.endpoints.push({ address, attributes: b[o + 3], maxPacketSize: u16(b, o + 4), interval: b[o + 6] });
    } else if (type === USB_DT_INTERFACE_ASSOCIATION) {
      const bad = sized(len === USB_IAD_SIZE, 'an interface association descriptor') ?? close();
      if (bad) return bad;
      associations.push({ firstInterface: b[o + 2], interfaceCount: b[o + 3], class: b[o + 4], subClass: b[o + 5], protocol: b[o + 6] });
    } else if (type === USB_DT_SS_ENDPOINT_COMP) {
      const bad = sized(len === USB_SS_EP_COMP_SIZE, 'a SuperSpeed endpoint companion');
      if (bad) return bad;
    } else if (type === USB_DT_SSP_ISOC_ENDPOINT_COMP) {
      const bad = sized(len === USB_SSP_ISOC_EP_COMP_SIZE, 'a SuperSpeedPlus isochronous companion');
      if (bad) return bad;
    }
    // Anything else is a class- or vendor-specific descriptor: its length is its own business.
    o += len;
  }
  const bad = close();
  if (bad) return bad;
  const numInterfaces = b[4];
  const distinct = new Set(interfaces.map((i) => i.number)).size;
  if (distinct !== numInterfaces) return fail('INTERFACE_COUNT_MISMATCH', 4, `bNumInterfaces ${numInterfaces}, ${distinct} interfaces described`);
  return { ok: true, value: { totalLength, numInterfaces, value: b[5], attributes, maxPower: b[8], interfaces, associations } };
}
// #endregion parse-configuration

// #region parse-usb-device
/** The device descriptor and every configuration set the device returned, all or nothing. */
export function parseUsbDevice(device: Uint8Array, configurations: readonly Uint8Array[]): Parsed<UsbDeviceInfo> {
  const d = parseDeviceDescriptor(device);
  if (!d.ok) return d;
  if (configurations.length !== d.value.numConfigurations) {
    return { ok: false, error: { code: 'CONFIGURATION_COUNT_MISMATCH', where: 'device', offset: 17, detail: `bNumConfigurations ${d.value.numConfigurations}, ${configurations.length} configuration sets read` } };
  }
  const configs: ConfigurationDescriptor[] = [];
  for (const [i, c] of configurations.entries()) {
    const p = parseConfiguration(c, `configuration ${i}`);
    if (!p.ok) return p;
    configs.push(p.value);
  }
  return { ok: true, value: { device: d.value, configurations: configs } };
}
// #endregion parse-usb-device

// Encoders: descriptors for tests and examples, built from fields, with the counts and lengths
// computed so that they agree (a test that wants them to disagree edits the bytes afterwards).

export interface DeviceFields {
  readonly bcdUSB?: number;
  readonly class?: number;
  readonly subClass?: number;
  readonly protocol?: number;
  readonly maxPacketSize0?: number;
  readonly vendor: number;
  readonly product: number;
  readonly bcdDevice?: number;
  readonly numConfigurations?: number;
}

export function encodeDevice(f: DeviceFields): Uint8Array {
  const b = new Uint8Array(USB_DEVICE_DESC_SIZE);
  const v = new DataView(b.buffer);
  const bcdUSB = f.bcdUSB ?? 0x0200;
  b[0] = USB_DEVICE_DESC_SIZE;
  b[1] = USB_DT_DEVICE;
  v.setUint16(2, bcdUSB, true);
  b[4] = f.class ?? 0;
  b[5] = f.subClass ?? 0;
  b[6] = f.protocol ?? 0;
  b[7] = f.maxPacketSize0 ?? (bcdUSB >= 0x0300 ? 9 : 64);
  v.setUint16(8, f.vendor, true);
  v.setUint16(10, f.product, true);
  v.setUint16(12, f.bcdDevice ?? 0x0100, true);
  b[14] = 1;
  b[15] = 2;
  b[16] = 0;
  b[17] = f.numConfigurations ?? 1;
  return b;
}

export interface EndpointSpec {
  readonly address: number;
  /** 0 control, 1 isochronous, 2 bulk, 3 interrupt (bits 1:0 of bmAttributes). */
  readonly attributes: number;
  readonly maxPacketSize: number;
  readonly interval?: number;
}

export interface InterfaceSpec {
  readonly number: number;
  readonly alternate?: number;
  readonly class: number;
  readonly subClass?: number;
  readonly protocol?: number;
  readonly endpoints?: readonly EndpointSpec[];
  /** Class-specific descriptors placed after the interface descriptor (a HID descriptor, say). */
  readonly extra?: Uint8Array;
}

export interface ConfigurationSpec {
  readonly value?: number;
  readonly attributes?: number;
  readonly maxPower?: number;
  readonly interfaces: readonly InterfaceSpec[];
  /** Interface associations, each written just before the interface it starts with. */
  readonly associations?: readonly InterfaceAssociation[];
}

export function encodeConfiguration(c: ConfigurationSpec): Uint8Array {
  const parts: number[][] = [];
  for (const i of c.interfaces) {
    for (const a of c.associations ?? []) if (a.firstInterface === i.number && (i.alternate ?? 0) === 0) parts.push([USB_IAD_SIZE, USB_DT_INTERFACE_ASSOCIATION, a.firstInterface, a.interfaceCount, a.class, a.subClass, a.protocol, 0]);
    const eps = i.endpoints ?? [];
    parts.push([USB_INTERFACE_DESC_SIZE, USB_DT_INTERFACE, i.number, i.alternate ?? 0, eps.length, i.class, i.subClass ?? 0, i.protocol ?? 0, 0]);
    if (i.extra) parts.push([...i.extra]);
    for (const e of eps) parts.push([7, USB_DT_ENDPOINT, e.address, e.attributes, e.maxPacketSize & 0xff, e.maxPacketSize >> 8, e.interval ?? 0]);
  }
  const body = parts.flat();
  const total = USB_CONFIG_DESC_SIZE + body.length;
  const numInterfaces = new Set(c.interfaces.map((i) => i.number)).size;
  return Uint8Array.from([USB_CONFIG_DESC_SIZE, USB_DT_CONFIG, total & 0xff, total >> 8, numInterfaces, c.value ?? 1, 0, c.attributes ?? 0x80, c.maxPower ?? 50, ...body]);
}
