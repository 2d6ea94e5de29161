// A guest mounts a read-only virtio-fs share of map data: FUSE_INIT, a directory listing, a file read, and a write refused with EROFS.
import { fs, Loopback } from '../src/lib/index.ts';

// The host's tree: map data for every guest, and a log directory that is not this guest's.
const host = new fs.MemFs();
host.writeFile('/maps/readme.txt', 'EU road network, edition 2026.1\n');
host.writeFile('/maps/eu/tile-0001.bin', Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff));
host.writeFile('/maps/eu/tile-0002.bin', Uint8Array.from({ length: 1200 }, (_, i) => i & 0xff));
host.writeFile('/logs/cluster/boot.log', 'cluster up\n');

// The infotainment guest sees /maps only, read-only, under the tag "maps".
const dev = new fs.FsDevice({ tag: 'maps', share: new fs.FsShare(host, { root: '/maps', readOnly: true }) });
const guest = new fs.FsClient(new Loopback(dev, { ring: 'split' }));
const err = (e: number) => (e === 0 ? 'OK' : `-${fs.errnoName(e)}`);
const show = (request: string, answer: string) => console.log(`${request.padEnd(30)} -> ${answer}`);

console.log(`device: virtio-fs, tag "${guest.tag}", ${guest.numRequestQueues} request queue(s)`);
show('LOOKUP before FUSE_INIT', err(guest.lookup(fs.FUSE_ROOT_ID, 'readme.txt').errno));

const init = guest.init({ minor: 41, flags: fs.FUSE_ASYNC_READ | fs.FUSE_WRITEBACK_CACHE });
const v = init.value!;
show('FUSE_INIT 7.41', `${err(init.errno)}: protocol ${v.major}.${v.minor}, max_write ${v.maxWrite}, flags 0x${v.flags.toString(16)}`);

// List the share's root.
const dir = guest.opendir(fs.FUSE_ROOT_ID).value!;
show('OPENDIR /', `fh ${dir}`);
for (const e of guest.readdirAll(dir).value!) {
  console.log(`  ino ${String(e.ino).padStart(2)}  ${e.type === fs.DT_DIR ? 'dir ' : 'file'}  ${e.name}`);
}
guest.releasedir(dir);

// ".." of the share's root is the root: the host's /logs stays out of reach.
const up = guest.lookup(fs.FUSE_ROOT_ID, '..').value!;
show('LOOKUP ..', `nodeid ${up.nodeid} (the share root); LOOKUP ../logs -> ${err(guest.lookup(up.nodeid, 'logs').errno)}`);

// Read a file.
const entry = guest.lookup(fs.FUSE_ROOT_ID, 'readme.txt').value!;
show('LOOKUP readme.txt', `nodeid ${entry.nodeid}, ${entry.attr.size} bytes, mode ${entry.attr.mode.toString(8)}`);
const fh = guest.open(entry.nodeid, fs.O_RDONLY).value!;
const data = guest.read(fh, 0, 4096).value!;
show('OPEN O_RDONLY, READ 4096 at 0', `fh ${fh}, ${data.length} bytes: ${JSON.stringify(new TextDecoder().decode(data))}`);

// Writing is refused, at OPEN and at WRITE, whatever the guest tries.
show('OPEN O_RDWR', err(guest.open(entry.nodeid, fs.O_RDWR).errno));
show('OPEN O_RDONLY|O_TRUNC', err(guest.open(entry.nodeid, fs.O_RDONLY | fs.O_TRUNC).errno));
show(`WRITE 9 bytes on fh ${fh}`, err(guest.write(fh, 0, new TextEncoder().encode('tampered!')).errno));
show(`RELEASE fh ${fh}`, err(guest.release(fh).errno));
show('READ on the released fh', err(guest.read(fh, 0, 16).errno));

const s = dev.stats;
console.log(`\n${s.requests} requests, ${s.replies} replies; refused: ${Object.entries(s.errors).filter(([, n]) => n > 0).map(([r, n]) => `${r} ${n}`).join(', ')}`);
console.log(`host file unchanged: ${JSON.stringify(new TextDecoder().decode(host.read(host.resolve('/maps/readme.txt') as fs.MemFile, 0, 100)))}`);
