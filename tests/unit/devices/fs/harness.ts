// Shared set-up for the virtio-fs tests: a small host tree, a share of it, the device, and a
// FUSE client over a Loopback on a given ring layout.
import type { RingType } from '../../../../src/lib/virtio/queue-factory.ts';
import { Loopback, type LoopbackOptions } from '../../../../src/lib/virtio/loopback.ts';
import { DEVICE_NEEDS_RESET } from '../../../../src/lib/virtio/status.ts';
import { MemFs } from '../../../../src/lib/devices/fs/memfs.ts';
import { FsShare, type FsShareOptions } from '../../../../src/lib/devices/fs/share.ts';
import { FsDevice, type FsDeviceOptions } from '../../../../src/lib/devices/fs/device.ts';
import { FsClient } from '../../../../src/lib/devices/fs/driver.ts';
import type { FuseEndian } from '../../../../src/lib/devices/fs/fuse-wire.ts';
import { concatBytes } from '../../../../src/lib/virtio/bytes.ts';

export const concat = concatBytes;

export interface Mount {
  tree: MemFs;
  share: FsShare;
  dev: FsDevice;
  lb: Loopback;
  c: FsClient;
}

export const README = 'Navigation data, region EU.\n';

/** The host tree every test starts from. */
export function hostTree(): MemFs {
  const t = new MemFs();
  t.writeFile('/maps/readme.txt', README);
  t.writeFile('/maps/eu/tile-0001.bin', Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff));
  t.writeFile('/maps/eu/tile-0002.bin', new Uint8Array(10).fill(2));
  t.mkdir('/logs/ivi');
  t.writeFile('/config/locked.conf', 'speed_limit=130\n', { mode: 0o444 });
  t.writeFile('/secret/keys.bin', 'do not share');
  return t;
}

export interface MountOptions {
  readonly share?: FsShareOptions;
  readonly dev?: Partial<FsDeviceOptions>;
  readonly lb?: LoopbackOptions;
  readonly endian?: FuseEndian;
  /** Send FUSE_INIT first (default true). */
  readonly init?: boolean;
  readonly tree?: MemFs;
}

export function mount(ring: RingType, opts: MountOptions = {}): Mount {
  const tree = opts.tree ?? hostTree();
  const share = new FsShare(tree, opts.share);
  const dev = new FsDevice({ tag: 'avp-share', share, ...opts.dev });
  const lb = new Loopback(dev, { ring, ...opts.lb });
  const c = new FsClient(lb, { endian: opts.endian });
  if (opts.init ?? true) {
    const r = c.init();
    if (r.errno !== 0) throw new Error(`FUSE_INIT failed: ${r.errno}`);
  }
  return { tree, share, dev, lb, c };
}

export function needsReset(m: Mount): boolean {
  return (m.lb.status & DEVICE_NEEDS_RESET) !== 0;
}

/** Looks up a path from the root, one LOOKUP per component; the nodeid, or throws. */
export function walk(m: Mount, path: string): bigint {
  let at = 1n;
  for (const part of path.split('/').filter(Boolean)) {
    const r = m.c.lookup(at, part);
    if (r.errno !== 0 || !r.value) throw new Error(`lookup ${part}: errno ${r.errno}`);
    at = r.value.nodeid;
  }
  return at;
}

export const text = (b: Uint8Array | null) => new TextDecoder().decode(b ?? new Uint8Array(0));
export const bytes = (s: string) => new TextEncoder().encode(s);


/** Cuts `b` into pieces of the given lengths (the rest in a last piece). */
export function cut(b: Uint8Array, ...lens: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  for (const n of lens) {
    out.push(b.subarray(at, at + n));
    at += n;
  }
  if (at < b.length) out.push(b.subarray(at));
  return out;
}
