// A guest writes sectors to a virtio-blk disk, reads them back, flushes, asks for the ID, and sees what a power loss keeps.
import { block, Loopback } from '../src/lib/index.ts';

// A 1 MiB disk whose writes sit in a volatile cache until flushed, like most flash storage.
const disk = new block.MemoryBlockBackend({ sectors: 2048 });
const dev = new block.BlockDevice(disk, { serial: 'AVP-EMMC0-P3', writeback: true });
const lb = new Loopback(dev, { ring: 'packed' });
const drv = new block.BlockDriver(lb);

const cfg = dev.config;
console.log(`capacity ${drv.capacity} sectors, blk_size ${cfg.u32(block.BLK_CFG_BLK_SIZE)}, seg_max ${cfg.u32(block.BLK_CFG_SEG_MAX)}, writeback ${drv.writeback}`);

function show(request: string, reply: block.BlkReply): void {
  const status = reply.status === null ? 'no status' : block.blkStatusName(reply.status);
  const why = reply.status !== null && reply.status !== block.VIRTIO_BLK_S_OK && dev.stats.lastError ? ` (${dev.stats.lastError})` : '';
  console.log(`${request.padEnd(44)} -> ${status}${why}, used length ${reply.len}`);
}

const text = (s: string) => {
  const out = new Uint8Array(512 * Math.ceil(s.length / 512));
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
};
const ascii = (b: Uint8Array) => String.fromCharCode(...b.subarray(0, b.indexOf(0) < 0 ? b.length : b.indexOf(0)));

console.log('\nreads and writes');
show('OUT sector 8, 1 sector', drv.write(8, text('hello from the guest')));
const back = drv.read(8, 1);
show('IN  sector 8, 1 sector', back);
console.log(`  read back: "${ascii(back.data)}"`);
show('OUT sector 2047, 2 sectors (past the end)', drv.write(2047, new Uint8Array(1024)));
show('OUT sector 0, 700 bytes (not whole sectors)', drv.raw([block.encodeBlkHeader({ type: block.VIRTIO_BLK_T_OUT }), new Uint8Array(700)], [1]));
show('type 0x12345678 (no such request)', drv.raw([block.encodeBlkHeader({ type: 0x12345678 })], [1]));
show('OUT without a writable status byte', drv.raw([block.encodeBlkHeader({ type: block.VIRTIO_BLK_T_OUT }), new Uint8Array(512)], []));
show('FLUSH', drv.flush());

console.log('\nidentification');
const id = drv.getId();
show('GET_ID, 20-byte buffer', id.reply);
console.log(`  device ID string: "${id.id}"`);
show('GET_ID, 16-byte buffer', drv.raw([block.encodeBlkHeader({ type: block.VIRTIO_BLK_T_GET_ID })], [17]));

console.log('\ndurability');
show('OUT sector 100, 1 sector', drv.write(100, text('not flushed yet')));
console.log(`  dirty sectors in the cache: ${disk.dirtySectors}; power fails, ${disk.powerLoss()} sector(s) lost`);
console.log(`  sector 100 now reads: "${ascii(drv.read(100, 1).data)}"`);
show('OUT sector 100, 1 sector', drv.write(100, text('flushed before the power failed')));
show('FLUSH', drv.flush());
disk.powerLoss();
console.log(`  after another power failure sector 100 reads: "${ascii(drv.read(100, 1).data)}"`);
drv.setWriteback(block.VIRTIO_BLK_WRITETHROUGH);
show('writeback := 0, then OUT sector 101', drv.write(101, text('writethrough')));
console.log(`  dirty sectors in the cache: ${disk.dirtySectors}`);

console.log('\ndiscard and write zeroes');
show('DISCARD sectors 512..1023', drv.discard([{ sector: 512, numSectors: 512 }]));
show('DISCARD with the unmap flag', drv.discard([{ sector: 0, numSectors: 8, flags: block.VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP }]));
show('WRITE_ZEROES sectors 8..15', drv.writeZeroes([{ sector: 8, numSectors: 8 }]));
console.log(`  sector 8 now reads: "${ascii(drv.read(8, 1).data)}"`);

const s = dev.stats;
console.log(`\n${s.requests} requests: ${s.ok} OK, ${s.ioerr} IOERR, ${s.unsupp} UNSUPP; ${s.unanswerable} without a status byte; ${s.flushes} flush(es)`);
