// A guest reads random bytes from virtio-rng: whole and partial fills, a rate-limited pool that makes a request wait, and a malformed request.
import { entropy, Loopback } from '../src/lib/index.ts';

// A deterministic source keeps this output stable; a real platform uses the default,
// CryptoEntropySource, fed by the host's entropy pool.
const pool = new entropy.RateLimitedEntropySource(new entropy.DeterministicEntropySource(2026), { bytesPerRefill: 64, burst: 72 });
const dev = new entropy.EntropyDevice({ source: pool, maxBytesPerRequest: 32 });
const lb = new Loopback(dev, { ring: 'packed' });

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');

const waiting = new Map<number, string>();

function show(label: string, len: number, data: Uint8Array): void {
  console.log(`${label.padEnd(40)} -> ${String(len).padStart(2)} bytes ${hex(data)}`.trimEnd());
}

function ask(label: string, out: Uint8Array[], inLens: number[]): void {
  const id = lb.submit(0, out, inLens);
  const done = lb.poll(0).find((c) => c.id === id);
  if (done) return show(label, done.len, done.data);
  waiting.set(id, label);
  console.log(`${label.padEnd(40)} -> waits: the pool is empty`);
}

ask('16-byte buffer', [], [16]);
ask('two buffers, 8 + 8 bytes', [], [8, 8]);
ask('64-byte buffer (device gives at most 32)', [], [64]);
ask('64-byte buffer, 8 bytes left in the pool', [], [64]);
ask('16-byte buffer', [], [16]);

console.log(`\nthe host's timer refills the pool (+${pool.bytesPerRefill} bytes)`);
pool.refill();
dev.sourceReady();
for (const c of lb.poll(0)) show(`${waiting.get(c.id)} (waited)`, c.len, c.data);

console.log('');
ask('device-readable buffer + 16 writable', [new Uint8Array([1, 2, 3, 4])], [16]);
ask('16-byte buffer', [], [16]);

const s = dev.stats;
console.log(`\nserved ${s.served} requests, ${s.bytes} bytes; rejected ${s.rejected['readable-buffer']} with a readable buffer, ${s.rejected['no-room']} without room`);
