// A real Linux guest's own virtio drivers against the reference device models. QEMU (TCG, no
// KVM needed) is the vhost-user front end; the models serve the rng, blk, net, vsock and fs
// devices from this process. The guest's /init (init.sh) runs the checks and prints a line per
// check; each test below asserts one of them, and the host side where the guest wrote to it.
// Runs once on split rings and once with packed=on. On a failure the console log and the back
// ends' log are kept under artifacts/guest/.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { buildInitramfs, ensureHostTools, ensureKernel } from './guest-image.ts';
import { type GuestResult, type Layout, runGuest } from './run-guest.ts';

const DEVICES = ['rng', 'blk', 'net', 'vsock', 'fs'] as const;
// TCG on two shared cores: boot takes 5-15 s, the checks 5-20 s; the limits allow for heavy load.
const BOOT_LIMIT_MS = 8 * 60_000;
const INSTALL_LIMIT_MS = 15 * 60_000;

const SIGNATURE = 'AVP-DISK-SIGNATURE-0123456789';
const DISK_MIB = 64;

let image: { kernel: string; initrd: string } | null = null;

beforeAll(() => {
  ensureHostTools();
  const k = ensureKernel();
  image = { kernel: k.vmlinuz, initrd: buildInitramfs(k) };
}, INSTALL_LIMIT_MS);

function diskImage(): string {
  const path = `${process.env.TMPDIR ?? '/tmp'}/avp-guest-disk-${process.pid}.img`;
  const b = Buffer.alloc(4096);
  b.write(SIGNATURE, 0, 'ascii');
  writeFileSync(path, b);
  return path;
}

function keepLog(layout: Layout, r: GuestResult | null): void {
  if (!r) return;
  mkdirSync('artifacts/guest', { recursive: true });
  writeFileSync(`artifacts/guest/${layout}-console.log`, r.console);
  writeFileSync(`artifacts/guest/${layout}-backends.log`, r.backendLog.join('\n') + '\n');
}

for (const layout of ['split', 'packed'] as const) {
  describe(`real Linux guest over vhost-user (${layout} rings)`, () => {
    let r: GuestResult | null = null;

    beforeAll(async () => {
      const disk = diskImage();
      try {
        r = await runGuest({
          kernel: image!.kernel,
          initrd: image!.initrd,
          layout,
          devices: DEVICES,
          options: { blk: { image: disk, 'size-mib': String(DISK_MIB) } },
          timeoutMs: BOOT_LIMIT_MS,
        });
      } finally {
        rmSync(disk, { force: true });
      }
      const m = [...r.metrics].map(([k, v]) => `${k}=${v}`).join(' ');
      console.log(`guest (${layout}): booted at ${r.bootedAt} s, checks done at ${r.doneAt} s guest time, ${r.wallSeconds.toFixed(1)} s wall; ${m}`);
    }, BOOT_LIMIT_MS + 30_000);

    /** The guest's line for `check`; the logs are kept if the test fails. */
    function result(check: string): { pass: boolean; detail: string } {
      onTestFailed(() => keepLog(layout, r));
      expect(r, 'the guest ran').not.toBeNull();
      expect(r!.timedOut, 'the guest finished within the time limit').toBe(false);
      const line = r!.results.get(check);
      expect(line, `the guest printed a result for ${check}`).toBeDefined();
      return line!;
    }

    it('boots, loads every virtio driver and powers off after its checks', () => {
      onTestFailed(() => keepLog(layout, r));
      expect(r!.bootedAt).not.toBeNull();
      expect(r!.doneAt).not.toBeNull();
      expect(r!.console).not.toMatch(/AVP-GUEST WARN/);
      expect(r!.exitCode).toBe(0);
      // Every device was activated by the guest on the ring layout asked for.
      for (const d of DEVICES) expect(r!.backendLog.join('\n')).toMatch(new RegExp(`^${d} info: .* active: .*, ${layout} rings$`, 'm'));
      expect(r!.backendLog.filter((l) => / error: /.test(l))).toEqual([]);
    });

    it('[AVP-RNG-1] [AVP-RNG-2] virtio-rng: the guest reads 64 KiB from /dev/hwrng, every byte value present', () => {
      const line = result('rng');
      expect(line.detail).toMatch(/^virtio_rng/);
      expect(line.pass, line.detail).toBe(true);
    });

    it('[AVP-BLK-1] [AVP-BLK-2] virtio-blk: the guest sees the capacity and reads the host\'s signature in sector 0', () => {
      const line = result('blk-read');
      expect(line.pass, line.detail).toBe(true);
      expect(result('blk-write').detail).toContain(`(${DISK_MIB * 2048} sectors)`);
    });

    it('[AVP-BLK-8] virtio-blk: 4 MiB written, flushed and read back equal; the guest\'s marker is on the host\'s disk', () => {
      const line = result('blk-write');
      expect(line.pass, line.detail).toBe(true);
      const sector = new Uint8Array(512);
      r!.devices.get('blk')!.host.disk!.read(8, sector);
      expect(Buffer.from(sector.subarray(0, 27)).toString('ascii')).toBe('AVP-GUEST-WROTE-THIS-SECTOR');
    });

    it('[AVP-NET-1] [AVP-NET-7] virtio-net: the guest pings the responder on the model\'s switch, 5 of 5 answered', () => {
      const line = result('net');
      expect(line.pass, line.detail).toBe(true);
      const responder = r!.devices.get('net')!.host.responder!;
      expect(responder.stats.arpReplies).toBeGreaterThanOrEqual(1);
      expect(responder.stats.echoReplies).toBe(5);
    });

    it('[AVP-VSOCK-1] virtio-vsock: the guest (CID 3) connects to a host service and gets its answer', () => {
      const line = result('vsock');
      expect(line.pass, line.detail).toBe(true);
      expect(result('vsock-bulk').pass).toBe(true);
      const service = r!.devices.get('vsock')!.host.service!;
      expect(service.stats.connections).toBe(2);
      expect(service.stats.bytes).toBe(10 + 4 * 1024 * 1024);
    });

    it('[AVP-FS-3] [AVP-FS-6] virtio-fs: the guest mounts the share, reads a file and writes into another', () => {
      const line = result('fs');
      expect(line.pass, line.detail).toBe(true);
      const tree = r!.devices.get('fs')!.host.tree!;
      const scratch = tree.resolve('/scratch.txt');
      expect(scratch?.kind).toBe('file');
      expect(Buffer.from(tree.read(scratch as Parameters<typeof tree.read>[0], 0, 20)).toString()).toBe('written by the guest');
    });
  });
}
