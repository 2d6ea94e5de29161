// What the real-guest test boots: Debian's QEMU (TCG), a Debian Linux 6.1 kernel extracted from
// its package without installing it, and a busybox initramfs built here. As root on Debian the
// missing pieces are installed the way scripts/ensure-chromium.mjs installs Chromium; otherwise
// the error says what to install.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { VSOCK_CLIENT_ELF_BASE64 } from './vsock-client.ts';

export const CACHE = resolve('.cache/guest');
const HERE = resolve('tests/guest');

/** The drivers the checks need; their dependencies are found in each module's modinfo. */
export const GUEST_MODULES = ['virtio_pci', 'virtio-rng', 'virtio_blk', 'virtio_net', 'vmw_vsock_virtio_transport', 'virtiofs'];

function run(cmd: string, args: string[], opts: { cwd?: string } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: opts.cwd, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}): ${(r.stderr || r.stdout || String(r.error)).trim().slice(-2000)}`);
  return r.stdout;
}

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const canInstall = () => typeof process.getuid === 'function' && process.getuid() === 0 && has('apt-get');

/** A static busybox: an ELF without a PT_INTERP program header. */
function isStaticElf(path: string): boolean {
  if (!existsSync(path)) return false;
  const b = readFileSync(path);
  if (b.readUInt32BE(0) !== 0x7f454c46) return false;
  const phoff = Number(b.readBigUInt64LE(32));
  const phentsize = b.readUInt16LE(54);
  const phnum = b.readUInt16LE(56);
  for (let i = 0; i < phnum; i++) if (b.readUInt32LE(phoff + i * phentsize) === 3) return false;
  return true;
}

export const BUSYBOX = '/bin/busybox';

// #region ensure-tools
/** QEMU and a static busybox, installed with apt-get when missing (root on Debian). */
export function ensureHostTools(log: (s: string) => void = console.log): void {
  const missing: string[] = [];
  if (!has('qemu-system-x86_64')) missing.push('qemu-system-x86');
  if (!isStaticElf(BUSYBOX)) missing.push('busybox-static');
  if (missing.length === 0) return;
  if (!canInstall()) throw new Error(`the real-guest test needs ${missing.join(' and ')}: sudo apt-get install -y ${missing.join(' ')}`);
  log(`Installing ${missing.join(', ')} from Debian for the real-guest test…`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', ...missing]);
  if (!has('qemu-system-x86_64') || !isStaticElf(BUSYBOX)) throw new Error(`apt-get installed ${missing.join(', ')} but they are still missing`);
}

/**
 * vmlinuz and the modules the guest needs, from Debian's current linux-image-*-amd64 package,
 * downloaded and unpacked into .cache/guest (never installed).
 */
export function ensureKernel(log: (s: string) => void = console.log): { dir: string; vmlinuz: string; release: string } {
  mkdirSync(CACHE, { recursive: true });
  const cached = readdirSync(CACHE).find((d) => d.startsWith('linux-') && existsSync(join(CACHE, d, 'vmlinuz')));
  if (cached) return { dir: join(CACHE, cached), vmlinuz: join(CACHE, cached, 'vmlinuz'), release: cached.slice(6) };
  if (!has('apt-get') || !has('dpkg-deb')) throw new Error('the real-guest test needs a Debian kernel package: run it on Debian (apt-get, dpkg-deb)');
  const lookup = () => {
    const r = spawnSync('apt-cache', ['depends', 'linux-image-amd64'], { encoding: 'utf8' });
    return /Depends: (linux-image-[\d.]+-\d+-amd64)\b/.exec(r.stdout ?? '')?.[1];
  };
  let pkg = lookup();
  if (!pkg && canInstall()) {
    run('apt-get', ['update', '-qq']); // a fresh machine has no package lists yet
    pkg = lookup();
  }
  if (!pkg) throw new Error('apt-cache knows no linux-image-*-amd64 package behind linux-image-amd64 (run apt-get update)');
  log(`Downloading ${pkg} (unpacked into ${CACHE}, not installed)…`);
  const tmp = mkdtempSync(join(tmpdir(), 'avp-kernel-'));
  try {
    run('apt-get', ['download', '-qq', pkg], { cwd: tmp });
    const deb = readdirSync(tmp).find((f) => f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${pkg} left no .deb`);
    run('dpkg-deb', ['-x', join(tmp, deb), join(tmp, 'root')]);
    const release = readdirSync(join(tmp, 'root/lib/modules'))[0];
    const out = join(CACHE, `linux-${release}`);
    const modRoot = join(tmp, 'root/lib/modules', release, 'kernel');
    const mods = join(out, 'modules');
    mkdirSync(mods, { recursive: true });
    // Every module under drivers/virtio, block, net, vsock, fuse: small, and enough for any check here.
    const all = listModules(modRoot);
    for (const name of resolveModuleOrder(GUEST_MODULES, all)) copyFileSync(all.get(name)!, join(mods, `${name}.ko`));
    copyFileSync(join(tmp, 'root/boot', `vmlinuz-${release}`), join(out, 'vmlinuz'));
    return { dir: out, vmlinuz: join(out, 'vmlinuz'), release };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
// #endregion ensure-tools

const norm = (n: string) => n.replace(/-/g, '_');

/** Every .ko under `root`, by module name (dashes as underscores). */
function listModules(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ko')) out.set(norm(e.name.slice(0, -3)), p);
    }
  };
  walk(root);
  return out;
}

/** The `depends=` list of a module's .modinfo section. */
export function moduleDepends(ko: Uint8Array): string[] {
  const text = Buffer.from(ko).toString('latin1');
  const m = /\0depends=([^\0]*)\0/.exec(text);
  return m && m[1] ? m[1].split(',').map(norm) : [];
}

// #region module-order
/** `wanted` and everything they depend on, each after its dependencies (what modules.dep would give). */
export function resolveModuleOrder(wanted: readonly string[], files: Map<string, string>, read = (p: string) => readFileSync(p)): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string) => {
    const n = norm(name);
    if (state.get(n) === 'done') return;
    if (state.get(n) === 'visiting') throw new Error(`module dependency cycle through ${n}`);
    const file = files.get(n);
    if (!file) throw new Error(`module ${n} is not in the kernel package (built in?)`);
    state.set(n, 'visiting');
    for (const d of moduleDepends(read(file))) visit(d);
    state.set(n, 'done');
    order.push(n);
  };
  for (const w of wanted) visit(w);
  return order;
}
// #endregion module-order

// #region cpio
interface CpioEntry {
  readonly name: string;
  readonly mode: number;
  readonly data?: Uint8Array;
  readonly rdev?: [number, number];
}

/** A cpio archive in the "newc" format the kernel unpacks as its initramfs. */
export function cpioNewc(entries: readonly CpioEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  const push = (b: Uint8Array) => {
    parts.push(b);
    size += b.length;
    const pad = (4 - (size % 4)) % 4;
    if (pad) {
      parts.push(new Uint8Array(pad));
      size += pad;
    }
  };
  const hex = (n: number) => n.toString(16).padStart(8, '0');
  let ino = 1;
  for (const e of [...entries, { name: 'TRAILER!!!', mode: 0 }] as CpioEntry[]) {
    const name = Buffer.from(`${e.name}\0`, 'utf8');
    const data = e.data ?? new Uint8Array(0);
    const fields = [ino++, e.mode, 0, 0, 1, 0, data.length, 0, 0, e.rdev?.[0] ?? 0, e.rdev?.[1] ?? 0, name.length, 0];
    const hdr = Buffer.from(`070701${fields.map(hex).join('')}`, 'ascii');
    push(Buffer.concat([hdr, name]));
    if (data.length) push(data);
  }
  return Buffer.concat(parts);
}
// #endregion cpio

const DIR = 0o040755;
const FILE = 0o100644;
const EXE = 0o100755;
const CHR = 0o020600;

/** Builds (or reuses) the initramfs for this kernel; returns its path. */
export function buildInitramfs(kernel: { dir: string; release: string }): string {
  const mods = join(kernel.dir, 'modules');
  const files = new Map(readdirSync(mods).map((f) => [f.slice(0, -3), join(mods, f)]));
  const order = resolveModuleOrder(GUEST_MODULES, files);
  const init = readFileSync(join(HERE, 'init.sh'));
  const entries: CpioEntry[] = [
    ...['bin', 'dev', 'etc', 'lib', 'lib/modules', 'mnt', 'proc', 'sys', 'tmp'].map((d) => ({ name: d, mode: DIR })),
    { name: 'dev/console', mode: CHR, rdev: [5, 1] },
    { name: 'init', mode: EXE, data: init },
    { name: 'bin/busybox', mode: EXE, data: readFileSync(BUSYBOX) },
    { name: 'bin/vsock-client', mode: EXE, data: Buffer.from(VSOCK_CLIENT_ELF_BASE64, 'base64') },
    { name: 'etc/modules.order', mode: FILE, data: Buffer.from(`${order.join('\n')}\n`) },
    ...order.map((m) => ({ name: `lib/modules/${m}.ko`, mode: FILE, data: readFileSync(files.get(m)!) })),
  ];
  const out = join(CACHE, `initramfs-${kernel.release}.cpio`);
  writeFileSync(out, cpioNewc(entries));
  return out;
}

export function fileSize(p: string): number {
  return statSync(p).size;
}
