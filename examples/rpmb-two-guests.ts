// Two guests share one physical RPMB: each programs its own key, writes and reads its own blocks, and sees a replayed write and a forged MAC refused, while the platform's part only ever sees the platform's key.
import { Loopback, rpmb } from '../src/lib/index.ts';

// The physical part (512 KiB) and the platform that owns it and its key.
const part = new rpmb.MemoryRpmbStore({ capacity: 4, maxWrCnt: 8, maxRdCnt: 8 });
const physical = new rpmb.RpmbEngine(part);
const platform = rpmb.RpmbPartitioner.open({
  physical: rpmb.engineExchange(physical),
  physicalGeometry: part.geometry,
  platformSecret: new TextEncoder().encode('ECU-0042 platform secret (demo)'),
  guests: [
    { name: 'cluster', capacity: 1, maxWrites: 10_000 },
    { name: 'ivi', capacity: 2, maxWrites: 3 },
  ],
});
for (const l of platform.layout) console.log(`partition ${l.name}: metadata block ${l.metaBlock}, blocks ${l.base}..${l.base + l.blocks - 1} of the physical part`);

// Each guest: a virtio-rpmb device on its own ring layout, and a TEE holding a key of its own.
const key = (b: number) => Uint8Array.from({ length: 32 }, (_, i) => (b + 7 * i) & 0xff);
function boot(name: string, ring: 'split' | 'packed', k: number, seed: number) {
  const dev = new rpmb.RpmbDevice({ store: platform.store(name) });
  const tee = new rpmb.RpmbClient(rpmb.loopbackExchange(new Loopback(dev, { ring })), { key: key(k), nonces: rpmb.seededNonces(seed) });
  const [capacity, maxWr, maxRd] = dev.config.read(0, 3);
  console.log(`${name} (${ring} ring): device ID ${dev.deviceId}, capacity ${capacity} x 128 KiB, max_wr_cnt ${maxWr}, max_rd_cnt ${maxRd}`);
  return { name, dev, tee };
}
const cluster = boot('cluster', 'packed', 0x10, 1);
const ivi = boot('ivi', 'split', 0x80, 2);
const show = (who: string, what: string, a: { result: number | null; verified: boolean; applied?: boolean }, extra = '') =>
  console.log(`  ${who} ${what}: ${a.result === null ? 'no answer' : rpmb.resultName(a.result)}${a.verified ? ', verified' : ', NOT verified'}${a.applied === undefined ? '' : a.applied ? ', applied' : ', refused'}${extra}`);

console.log('\n-- key programming (once only) --');
show('cluster', 'counter before a key', cluster.tee.readCounter());
show('cluster', 'program key', cluster.tee.programKey());
show('ivi', 'program key', ivi.tee.programKey());
const again = new rpmb.RpmbClient(cluster.tee.exchange, { key: key(0x99) });
show('cluster', 'program a second key', again.programKey());

console.log('\n-- authenticated write and read --');
const text = (d: Uint8Array | null) => (d ? `"${new TextDecoder().decode(d).replace(/\0+$/, '')}"` : 'none');
const w1 = cluster.tee.write(0, rpmb.textBlocks('odometer 48211 km'));
show('cluster', 'write block 0', w1, `, counter now ${w1.counter}`);
const w2 = ivi.tee.write(0, rpmb.textBlocks('navigation licence v7', 2));
show('ivi', 'write blocks 0-1', w2, `, counter now ${w2.counter}`);
const r1 = cluster.tee.read(0, 1);
show('cluster', 'read block 0', r1, ` -> ${text(r1.data)}`);
const r2 = ivi.tee.read(0, 2);
show('ivi', 'read blocks 0-1', r2, ` -> ${text(r2.data)}`);

console.log('\n-- a replayed write --');
const recorded = cluster.tee.lastWrite; // an attacker on the path keeps the frames of that write
cluster.tee.write(0, rpmb.textBlocks('odometer 48307 km'));
show('attacker', 'replays the cluster write (counter 0)', cluster.tee.sendWrite(recorded, 0, 0));
show('attacker', 'replays it into the IVI', ivi.tee.sendWrite(recorded, 0, 0));
show('cluster', 'read block 0', cluster.tee.read(0, 1), ` -> ${text(cluster.tee.read(0, 1).data)}`);

console.log('\n-- a forged MAC --');
const c = ivi.tee.readCounter().counter!;
const forged = rpmb.writeRequest(key(0x33), c, 0, rpmb.textBlocks('navigation licence v9 (forged)', 2));
show('attacker', 'writes into the IVI with a key of its own', ivi.tee.sendWrite(forged, 0, c));
show('ivi', 'read blocks 0-1', ivi.tee.read(0, 2), ` -> ${text(ivi.tee.read(0, 2).data)}`);

console.log('\n-- the IVI spends its share of the physical counter; the cluster does not notice --');
for (let i = 0; i < 3; i++) {
  const w = ivi.tee.write(1, rpmb.textBlocks(`log ${i}`));
  show('ivi', `write ${i + 1}`, w, `, counter ${w.counter}`);
}
show('cluster', 'write block 1', cluster.tee.write(1, rpmb.textBlocks('trip 12.4 km')), `, counter ${cluster.tee.readCounter().counter}`);

const s = (d: { dev: { stats: rpmb.RpmbStats } }) => `forged ${d.dev.stats.forged}, replayed ${d.dev.stats.replayed}, keys refused ${d.dev.stats.keyReprogramRefused}, expired writes ${d.dev.stats.expiredWrites}`;
console.log(`\ncluster device: ${s(cluster)}`);
console.log(`ivi device:     ${s(ivi)}`);
console.log(`physical part: counter ${part.counter()}, writes ${part.writes}, refused there ${physical.stats.forged + physical.stats.replayed} (guest frames never reach it)`);
