// Descriptor sets shaped byte for byte like those real devices return (USB 2.0 chapter 9
// layouts, the HID, UVC and SuperSpeed additions), written out in hex so that a reader can
// check them against the specifications. Vendor and product IDs are made up.
export const hex = (s: string) => Uint8Array.from(s.trim().split(/\s+/).map((x) => parseInt(x, 16)));

/** A USB 2.0 flash drive: class per interface, one bulk-only mass-storage interface (08/06/50). */
export const FLASH = {
  device: hex('12 01 00 02 00 00 00 40 11 5a 01 00 00 01 01 02 03 01'),
  configs: [hex(`
    09 02 20 00 01 01 00 80 32
    09 04 00 00 02 08 06 50 00
    07 05 81 02 00 02 00
    07 05 02 02 00 02 00`)],
};

/** A boot keyboard: one HID interface (03/01/01) with its HID descriptor and an interrupt endpoint. */
export const KEYBOARD = {
  device: hex('12 01 10 01 00 00 00 08 22 5a 01 00 10 01 01 02 00 01'),
  configs: [hex(`
    09 02 22 00 01 01 00 a0 32
    09 04 00 00 01 03 01 01 00
    09 21 11 01 00 01 22 3f 00
    07 05 81 03 08 00 0a`)],
};

/** A "keyboard" that is also a disk: HID boot keyboard on interface 0, mass storage on interface 1. */
export const KEYBOARD_DISK = {
  device: hex('12 01 00 02 00 00 00 40 22 5a 02 00 00 01 01 02 00 01'),
  configs: [hex(`
    09 02 39 00 02 01 00 80 32
    09 04 00 00 01 03 01 01 00
    09 21 11 01 00 01 22 3f 00
    07 05 83 03 08 00 0a
    09 04 01 00 02 08 06 50 00
    07 05 81 02 00 02 00
    07 05 02 02 00 02 00`)],
};

/**
 * A UVC camera: device class EF/02/01 (composite with associations), an interface association
 * (0E/03/00) over a video-control interface with an interrupt endpoint and a video-streaming
 * interface whose alternate setting 1 has an isochronous endpoint.
 */
export const CAMERA = {
  device: hex('12 01 00 02 ef 02 01 40 0e ca 01 00 00 01 01 02 00 01'),
  configs: [hex(`
    09 02 3a 00 02 01 00 80 fa
    08 0b 00 02 0e 03 00 00
    09 04 00 00 01 0e 01 00 00
    07 05 87 03 10 00 06
    09 04 01 00 00 0e 02 00 00
    09 04 01 01 01 0e 02 00 00
    07 05 81 05 00 04 01`)],
};

/** A USB 3.2 mass-storage device: bMaxPacketSize0 9, each endpoint followed by its SuperSpeed companion. */
export const SS_DISK = {
  device: hex('12 01 20 03 00 00 00 09 11 5a 03 00 00 01 01 02 03 01'),
  configs: [hex(`
    09 02 2c 00 01 01 00 80 70
    09 04 00 00 02 08 06 50 00
    07 05 81 02 00 04 00
    06 30 0f 00 00 00
    07 05 02 02 00 04 00
    06 30 0f 00 00 00`)],
};

/** A USB hub (class 09). */
export const HUB = {
  device: hex('12 01 00 02 09 00 01 40 44 5a 01 00 00 01 00 01 00 01'),
  configs: [hex(`
    09 02 19 00 01 01 00 e0 00
    09 04 00 00 01 09 00 00 00
    07 05 81 03 01 00 0c`)],
};

/** A vendor-specific device (a diagnostic dongle): one interface of class FF. */
export const DONGLE = {
  device: hex('12 01 00 02 00 00 00 40 33 5a 01 00 00 01 01 02 03 01'),
  configs: [hex(`
    09 02 20 00 01 01 00 80 32
    09 04 00 00 02 ff 00 00 00
    07 05 81 02 00 02 00
    07 05 02 02 00 02 00`)],
};

export type Fixture = { device: Uint8Array; configs: Uint8Array[] };
export const copy = (f: Fixture): Fixture => ({ device: f.device.slice(), configs: f.configs.map((c) => c.slice()) });
