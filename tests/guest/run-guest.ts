// Boots the test guest under QEMU (TCG) with its devices served by the reference models over
// vhost-user, all in this process on one poll loop, and collects the serial console until /init
// prints DONE, QEMU exits, or the time limit passes (waiting on output, never sleeping).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDevice, type BuiltDevice, type DeviceName, type DeviceOptions } from '../../src/lib/vhost-user/devices.ts';
import { PollLoop } from '../../src/lib/vhost-user/poll-loop.ts';
import { VhostUserServer } from '../../src/lib/vhost-user/server.ts';

export type Layout = 'split' | 'packed';

export interface GuestResult {
  readonly console: string;
  readonly results: Map<string, { pass: boolean; detail: string }>;
  readonly metrics: Map<string, string>;
  readonly bootedAt: number | null;
  readonly doneAt: number | null;
  readonly wallSeconds: number;
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly devices: Map<DeviceName, BuiltDevice>;
  readonly backendLog: string[];
}

export interface GuestRun {
  readonly kernel: string;
  readonly initrd: string;
  readonly layout: Layout;
  readonly devices: readonly DeviceName[];
  readonly options?: Partial<Record<DeviceName, DeviceOptions>>;
  readonly timeoutMs: number;
}

// #region qemu-args
function deviceArgs(name: DeviceName, sock: string, packed: string): string[] {
  const chardev = ['-chardev', `socket,id=${name}0,path=${sock}`];
  switch (name) {
    case 'rng':
      return [...chardev, '-device', `vhost-user-rng-pci,chardev=rng0${packed}`];
    case 'blk':
      return [...chardev, '-device', `vhost-user-blk-pci,chardev=blk0,num-queues=1${packed}`];
    case 'net':
      // vectors=0: QEMU 7.2 crashes on vhost-user virtio-net with MSI-X under TCG.
      return [...chardev, '-netdev', 'vhost-user,id=n0,chardev=net0', '-device', `virtio-net-pci,netdev=n0,vectors=0,mac=52:54:00:12:34:56${packed}`];
    case 'vsock':
      return [...chardev, '-device', `vhost-user-vsock-pci,chardev=vsock0${packed}`];
    case 'fs':
      return [...chardev, '-device', `vhost-user-fs-pci,chardev=fs0,tag=avpfs${packed}`];
  }
}
// #endregion qemu-args

export async function runGuest(run: GuestRun): Promise<GuestResult> {
  const dir = mkdtempSync(join(tmpdir(), 'avp-guest-'));
  const backendLog: string[] = [];
  const loop = new PollLoop((e) => backendLog.push(`poll error: ${String(e)}`));
  const servers: VhostUserServer[] = [];
  const devices = new Map<DeviceName, BuiltDevice>();
  const packed = run.layout === 'packed' ? ',packed=on' : '';
  const args = [
    '-machine', 'q35', '-accel', 'tcg', '-m', '256M', '-smp', '1',
    '-object', 'memory-backend-memfd,id=mem,size=256M,share=on', '-numa', 'node,memdev=mem',
    '-nographic', '-no-reboot', '-nodefaults', '-serial', 'stdio',
    '-kernel', run.kernel, '-initrd', run.initrd,
    '-append', `console=ttyS0 quiet loglevel=3 panic=-1 avp.checks=${run.devices.join(',')}`,
  ];
  try {
    for (const name of run.devices) {
      const sock = join(dir, `${name}.sock`);
      const built = buildDevice(name, run.options?.[name] ?? {});
      devices.set(name, built);
      servers.push(new VhostUserServer({ socketPath: sock, loop, device: () => built, log: (level, msg) => backendLog.push(`${name} ${level}: ${msg}`) }));
      args.push(...deviceArgs(name, sock, packed));
    }
    const started = Date.now();
    const child = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let timedOut = false;
    const exitCode = await new Promise<number | null>((resolveExit) => {
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, run.timeoutMs);
      const onData = (d: Buffer) => {
        out += d.toString('latin1');
        // /init powers off after DONE; QEMU exits by itself.
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', (d: Buffer) => (out += `[qemu stderr] ${d.toString('latin1')}`));
      child.on('error', (e) => (out += `[spawn error] ${e.message}\n`));
      child.on('close', (code) => {
        clearTimeout(timer);
        resolveExit(code);
      });
    });
    const results = new Map<string, { pass: boolean; detail: string }>();
    const metrics = new Map<string, string>();
    let bootedAt: number | null = null;
    let doneAt: number | null = null;
    for (const line of out.split(/\r?\n/)) {
      const m = /AVP-GUEST (\w+) ?(.*)$/.exec(line);
      if (!m) continue;
      if (m[1] === 'BOOTED') bootedAt = Number(m[2]);
      else if (m[1] === 'DONE') doneAt = Number(m[2]);
      else if (m[1] === 'RESULT') {
        const r = /^(\S+) (PASS|FAIL) ?(.*)$/.exec(m[2]);
        if (r) results.set(r[1], { pass: r[2] === 'PASS', detail: r[3] });
      } else if (m[1] === 'METRIC') {
        const r = /^(\S+) (.*)$/.exec(m[2]);
        if (r) metrics.set(r[1], r[2]);
      }
    }
    return { console: out, results, metrics, bootedAt, doneAt, wallSeconds: (Date.now() - started) / 1000, exitCode, timedOut, devices, backendLog };
  } finally {
    for (const s of servers) s.close();
    loop.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
