// Two guests share one host tree: the host updates map data and the IVI guest is told to drop its cached copy (FUSE_NOTIFY_INVAL_INODE); the cluster writes its own log share.
import { fs, Loopback } from '../src/lib/index.ts';

const host = new fs.MemFs();
host.writeFile('/maps/eu/tile-0001.bin', new TextEncoder().encode('tile v1'));
host.mkdir('/logs/cluster');

// Infotainment: the maps, read-only, with the notification queue.
const ivi = new fs.FsDevice({ tag: 'maps', share: new fs.FsShare(host, { root: '/maps', readOnly: true }), notifications: true });
const iviGuest = new fs.FsClient(new Loopback(ivi, { ring: 'packed' }));
// Instrument cluster: its own log directory, writable by it alone.
const cluster = new fs.FsDevice({ tag: 'cluster-logs', share: new fs.FsShare(host, { root: '/logs/cluster' }) });
const clusterGuest = new fs.FsClient(new Loopback(cluster, { ring: 'split' }));

const say = (who: string, what: string) => console.log(`${who.padEnd(8)} ${what}`);
const text = (b: Uint8Array | null) => JSON.stringify(new TextDecoder().decode(b ?? new Uint8Array(0)));

iviGuest.init();
clusterGuest.init();
say('ivi', `notify_buf_size ${iviGuest.notifyBufSize}; offers 2 notification buffers`);
iviGuest.stockNotifications(2);

const eu = iviGuest.lookup(fs.FUSE_ROOT_ID, 'eu').value!.nodeid;
const tile = iviGuest.lookup(eu, 'tile-0001.bin').value!;
const fh = iviGuest.open(tile.nodeid, fs.O_RDONLY).value!;
say('ivi', `reads eu/tile-0001.bin (nodeid ${tile.nodeid}): ${text(iviGuest.read(fh, 0, 64).value)}`);

say('host', 'installs map update: eu/tile-0001.bin and a new tile');
host.writeFile('/maps/eu/tile-0001.bin', new TextEncoder().encode('tile v2 (2026.2)'));
host.writeFile('/maps/eu/tile-0002.bin', new TextEncoder().encode('tile v2 new'));
const names = new Map([[eu, 'eu/'], [tile.nodeid, 'eu/tile-0001.bin']]);
for (const n of iviGuest.pollNotifications()) {
  say('ivi', `notification ${n.code} (INVAL_INODE) for nodeid ${n.inval?.ino} (${names.get(n.inval!.ino)}): drop cached data`);
}
say('ivi', `rereads: ${text(iviGuest.read(fh, 0, 64).value)}`);
const dir = iviGuest.opendir(eu).value!;
say('ivi', `lists eu/: ${iviGuest.readdirAll(dir).value!.map((e) => e.name).join(' ')}`);

host.writeFile('/logs/cluster/boot.log', '');
const log = clusterGuest.lookup(fs.FUSE_ROOT_ID, 'boot.log').value!.nodeid;
const lfh = clusterGuest.open(log, fs.O_WRONLY | fs.O_APPEND).value!;
for (const line of ['00.000 cluster: boot\n', '00.412 cluster: telltales on\n']) clusterGuest.write(lfh, 0, new TextEncoder().encode(line));
say('cluster', `appended ${clusterGuest.getattr(log).value!.size} bytes to boot.log in its own share`);
const up = iviGuest.lookup(fs.FUSE_ROOT_ID, '..').value!.nodeid;
say('ivi', `LOOKUP .. -> nodeid ${up} (its own root); LOOKUP logs there -> ${fs.errnoName(iviGuest.lookup(up, 'logs').errno)}`);
say('host', `/logs/cluster/boot.log: ${text(host.read(host.resolve('/logs/cluster/boot.log') as fs.MemFile, 0, 200))}`);
say('ivi', `notifications sent ${ivi.notifier.stats.sent}; the cluster's writes were never announced to it (not in its share)`);
