// The resource table checks the platform makes before it starts a core (Linux's, then the
// AVP's), each by its named error, and the image approval that comes before them.
import { describe, expect, it } from 'vitest';
import { buildResourceTable, checkResourceTable, FW_RSC_ADDR_ANY, RSC_ERRORS, type ResourceEntry, rpmsgVdev, vringBytes } from '../../../../src/lib/devices/rpmsg/resource-table.ts';
import { imageDigest } from '../../../../src/lib/devices/rpmsg/firmware.ts';
import { DSP, DSP_MAILBOX, DSP_RAM, dspImage, image, ISLAND, ISLAND_RAM, islandImage, islandTable, platformRig } from './harness.ts';

const policy = { windows: [ISLAND_RAM], peripherals: [DSP_MAILBOX] };
const vdev = rpmsgVdev({ vring0: ISLAND_RAM.base + 0x10_0000, vring1: ISLAND_RAM.base + 0x10_8000 });
const check = (b: Uint8Array) => checkResourceTable(b, policy);
const errorOf = (b: Uint8Array) => {
  const r = check(b);
  return r.ok ? 'ok' : r.error;
};
const u32 = (b: Uint8Array, at: number, v: number) => new DataView(b.buffer, b.byteOffset).setUint32(at, v >>> 0, true);
/** Offset of entry `i`'s fw_rsc_hdr in a built table. */
const entryAt = (b: Uint8Array, i: number) => new DataView(b.buffer, b.byteOffset).getUint32(16 + 4 * i, true);

describe('resource table: the layout', () => {
  it('[AVP-CORE-33] builds and reads back carveouts, devmem, traces and the rpmsg vdev', () => {
    const entries: ResourceEntry[] = [
      { type: 'carveout', da: ISLAND_RAM.base, pa: 0, len: 0x1000, flags: 0, name: 'ram' },
      { type: 'devmem', da: 0x4000_0000, pa: DSP_MAILBOX.base, len: 0x1000, flags: 0, name: 'mailbox' },
      { type: 'trace', da: ISLAND_RAM.base + 0x2000, len: 0x800, name: 'trace0' },
      vdev,
    ];
    const b = buildResourceTable(entries);
    expect(b.length).toBe(16 + 4 * 4 + (4 + 52) * 2 + (4 + 44) + (4 + 24 + 2 * 20));
    const r = check(b);
    expect(r.ok && r.table.entries).toEqual(entries);
    expect(vringBytes(256, 4096)).toBe(8192 + 6 + 2048); // 16*256 + 2*(3+256) rounded up to 4096, then the used ring
  });
});

describe('resource table: Linux checks', () => {
  it('[AVP-CORE-33] refuses a table shorter than its header (RSC_HEADERLESS)', () => {
    expect(errorOf(new Uint8Array(15))).toBe('RSC_HEADERLESS');
  });

  it('[AVP-CORE-33] refuses a version other than 1 (RSC_BAD_VERSION)', () => {
    for (const v of [0, 2]) {
      const b = islandTable();
      u32(b, 0, v);
      expect(errorOf(b)).toBe('RSC_BAD_VERSION');
    }
  });

  it('[AVP-CORE-33] refuses nonzero reserved fields in the header and in each kind of entry (RSC_RESERVED)', () => {
    const h = islandTable();
    u32(h, 12, 1);
    expect(errorOf(h)).toBe('RSC_RESERVED');
    const c = islandTable();
    u32(c, entryAt(c, 0) + 4 + 16, 1); // carveout reserved
    expect(errorOf(c)).toBe('RSC_RESERVED');
    const t = buildResourceTable([{ type: 'trace', da: ISLAND_RAM.base, len: 0x100, name: 't' }, vdev]);
    u32(t, entryAt(t, 0) + 4 + 8, 1);
    expect(errorOf(t)).toBe('RSC_RESERVED');
    const v = buildResourceTable([vdev]);
    v[entryAt(v, 0) + 4 + 23] = 1; // vdev reserved[1]
    expect(errorOf(v)).toBe('RSC_RESERVED');
  });

  it('[AVP-CORE-33] refuses an offset array that runs past the table (RSC_INCOMPLETE)', () => {
    const b = buildResourceTable([vdev]);
    u32(b, 4, 100);
    expect(errorOf(b)).toBe('RSC_INCOMPLETE');
  });

  it('[AVP-CORE-33] refuses an entry, its vrings or its config past the end (RSC_TRUNCATED)', () => {
    const off = buildResourceTable([vdev]);
    u32(off, 16, off.length - 2); // the entry header itself does not fit
    expect(errorOf(off)).toBe('RSC_TRUNCATED');
    const carve = islandTable();
    expect(errorOf(carve.subarray(0, entryAt(carve, 0) + 4 + 51))).toBe('RSC_TRUNCATED'); // 51 of 52 bytes
    const cfg = buildResourceTable([vdev]);
    u32(cfg, entryAt(cfg, 0) + 4 + 16, 8); // config_len 8, no config bytes
    expect(errorOf(cfg)).toBe('RSC_TRUNCATED');
  });

  it('[AVP-CORE-33] refuses more than two vrings (RSC_TOO_MANY_VRINGS)', () => {
    const three = { ...vdev, vrings: [...(vdev.type === 'vdev' ? vdev.vrings : []), { da: FW_RSC_ADDR_ANY, align: 4096, num: 16, notifyid: 2, pa: 0 }] } as ResourceEntry;
    expect(errorOf(buildResourceTable([three]))).toBe('RSC_TOO_MANY_VRINGS');
  });

  it('[AVP-CORE-33] refuses a vring of size or alignment 0 (RSC_BAD_VRING)', () => {
    const v = vdev.type === 'vdev' ? vdev : null!;
    for (const bad of [{ num: 0 }, { align: 0 }]) expect(errorOf(buildResourceTable([{ ...v, vrings: [{ ...v.vrings[0], ...bad }, v.vrings[1]] }]))).toBe('RSC_BAD_VRING');
  });
});

describe("resource table: the AVP's checks", () => {
  it('[AVP-CORE-34] refuses a type it does not handle, vendor types included (RSC_UNKNOWN_TYPE)', () => {
    for (const type of [4, 127, 128, 512, 1000]) {
      const b = buildResourceTable([{ type: 'trace', da: ISLAND_RAM.base, len: 0x10, name: 't' }, vdev]);
      u32(b, entryAt(b, 0), type);
      const r = check(b);
      expect(r.ok ? 'ok' : [r.error, r.entry]).toEqual(['RSC_UNKNOWN_TYPE', 0]);
    }
  });

  it('[AVP-CORE-35] refuses memory outside the core’s windows and peripherals it was not given (RSC_OUTSIDE_WINDOW)', () => {
    const cases: ResourceEntry[] = [
      { type: 'carveout', da: DSP_RAM.base, pa: 0, len: 0x1000, flags: 0, name: 'other core ram' },
      { type: 'carveout', da: ISLAND_RAM.base + ISLAND_RAM.size - 0x800, pa: 0, len: 0x1000, flags: 0, name: 'straddles the end' },
      { type: 'devmem', da: 0x4000_0000, pa: 0xfe00_0000, len: 0x1000, flags: 0, name: 'someone else’s uart' },
      { type: 'trace', da: 0x100, len: 0x100, name: 'trace' },
    ];
    for (const e of cases) expect(errorOf(buildResourceTable([e, vdev]))).toBe('RSC_OUTSIDE_WINDOW');
    const ringOutside = rpmsgVdev({ vring0: ISLAND_RAM.base + ISLAND_RAM.size - 0x1000, vring1: ISLAND_RAM.base });
    expect(errorOf(buildResourceTable([ringOutside]))).toBe('RSC_OUTSIDE_WINDOW'); // a 256-entry ring needs 10 KiB
    // the host's choice, and what lies inside, pass
    expect(errorOf(buildResourceTable([{ type: 'carveout', da: FW_RSC_ADDR_ANY, pa: 0, len: 0x1000, flags: 0, name: 'any' }, rpmsgVdev({ vring0: FW_RSC_ADDR_ANY, vring1: FW_RSC_ADDR_ANY })]))).toBe('ok');
  });

  it('[AVP-CORE-36] refuses a table without a virtio device of ID 7 with two vrings (RSC_NO_RPMSG_VDEV)', () => {
    const v = vdev.type === 'vdev' ? vdev : null!;
    expect(errorOf(buildResourceTable([{ type: 'carveout', da: ISLAND_RAM.base, pa: 0, len: 0x10, flags: 0, name: 'r' }]))).toBe('RSC_NO_RPMSG_VDEV');
    expect(errorOf(buildResourceTable([{ ...v, id: 3 }]))).toBe('RSC_NO_RPMSG_VDEV');
    expect(errorOf(buildResourceTable([{ ...v, vrings: [v.vrings[0]] }]))).toBe('RSC_NO_RPMSG_VDEV');
  });

  it('[AVP-CORE-36] refuses vrings whose size is not a power of two up to 32768 (RSC_BAD_VRING)', () => {
    const v = vdev.type === 'vdev' ? vdev : null!;
    for (const num of [3, 100, 65536]) expect(errorOf(buildResourceTable([{ ...v, vrings: [{ ...v.vrings[0], num, da: FW_RSC_ADDR_ANY }, v.vrings[1]] }]))).toBe('RSC_BAD_VRING');
  });

  it('[AVP-CORE-33] names every refusal with a code of the list', () => {
    expect(RSC_ERRORS).toContain(errorOf(new Uint8Array(3)));
  });
});

describe('images', () => {
  it('[AVP-CORE-32] loads only an image whose digest the platform approved for that core (IMAGE_NOT_APPROVED)', () => {
    const r = platformRig({}, islandImage(), false);
    const img = islandImage();
    const tampered = { ...img, code: img.code.slice() };
    tampered.code[0] ^= 1;
    const refused = r.platform.load('platform', ISLAND, tampered);
    expect(refused.ok ? 'ok' : refused.error).toBe('IMAGE_NOT_APPROVED');
    expect(r.platform.core(ISLAND).image).toBeNull();
    const other = r.platform.load('platform', ISLAND, dspImage()); // approved for the DSP, not for the island
    expect(other.ok ? 'ok' : other.error).toBe('IMAGE_NOT_APPROVED');
    expect(r.platform.load('platform', ISLAND, img)).toEqual({ ok: true });
    expect(imageDigest(img)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('[AVP-CORE-33] [AVP-CORE-35] refuses an approved image whose table fails a check, and names the check', () => {
    const bad = image('island-bad', [], buildResourceTable([{ type: 'devmem', da: 0, pa: 0xfe00_0000, len: 0x1000, flags: 0, name: 'uart' }, vdev]));
    const r = platformRig({ approved: [imageDigest(bad)] }, bad, false);
    const res = r.platform.load('platform', ISLAND, bad);
    expect(res.ok ? 'ok' : [res.error, res.detail]).toEqual(['RSC_OUTSIDE_WINDOW', 'island-bad: RSC_OUTSIDE_WINDOW in entry 0 (devmem "uart" at pa 0xfe000000+0x1000)']);
    expect(r.platform.start('platform', ISLAND)).toEqual({ ok: false, error: 'NO_IMAGE', detail: ISLAND });
    expect(r.platform.load('ivi', DSP, dspImage())).toEqual({ ok: true }); // the DSP's devmem is its mailbox
  });
});
