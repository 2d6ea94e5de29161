// The entropy device (§5.4): one queue of device-writable buffers, filled from a source.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { Gate } from '../../../support/entropy-gate.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { COMMON_FEATURES } from '../../../../src/lib/virtio/device.ts';
import { DEVICE_NEEDS_RESET } from '../../../../src/lib/virtio/status.ts';
import { EntropyDevice, VIRTIO_ID_ENTROPY } from '../../../../src/lib/devices/entropy/device.ts';
import {
  CryptoEntropySource,
  DeterministicEntropySource,
  type EntropySource,
  RateLimitedEntropySource,
} from '../../../../src/lib/devices/entropy/source.ts';

/** The first `n` bytes a fresh DeterministicEntropySource with this seed produces. */
function stream(n: number, seed?: number): Uint8Array {
  const out = new Uint8Array(n);
  new DeterministicEntropySource(seed).fill(out);
  return out;
}


describe.each(RING_TYPES)('entropy device (%s ring)', (ring) => {
  it('[AVP-RNG-1] has device ID 4, one request queue, no device feature bits and no configuration space', () => {
    const dev = new EntropyDevice({ source: new DeterministicEntropySource() });
    expect(dev.deviceId).toBe(VIRTIO_ID_ENTROPY);
    expect(VIRTIO_ID_ENTROPY).toBe(4);
    expect(dev.offeredFeatures()).toBe(COMMON_FEATURES);
    expect(dev.config.size).toBe(0);
    const lb = new Loopback(dev, { ring });
    expect(lb.queues.length).toBe(1);
  });

  it('[AVP-RNG-2] fills a request across its buffers and reports the bytes written', () => {
    const dev = new EntropyDevice({ source: new DeterministicEntropySource(1) });
    const lb = new Loopback(dev, { ring });
    const c = lb.request(0, [], [10, 1, 53]);
    expect(c.len).toBe(64);
    expect(c.data).toEqual(stream(64, 1));
    const d = lb.request(0, [], [16], { indirect: true });
    expect(d.data).toEqual(stream(80, 1).subarray(64));
    expect(dev.stats.served).toBe(2);
    expect(dev.stats.bytes).toBe(80);
    expect(lb.usedNotifications[0]).toBeGreaterThan(0);
  });

  it('[AVP-RNG-2] [AVP-RNG-3] may fill less than the buffer, never more, and at least one byte', () => {
    const dev = new EntropyDevice({ source: new DeterministicEntropySource(2), maxBytesPerRequest: 32 });
    const lb = new Loopback(dev, { ring });
    expect(lb.request(0, [], [4096]).len).toBe(32);
    expect(lb.request(0, [], [1]).len).toBe(1);
    const half = new Loopback(new EntropyDevice({ source: { fill: (b) => (b.fill(0xab), Math.ceil(b.length / 2)) } }), { ring });
    const c = half.request(0, [], [9]);
    expect(c.len).toBe(5);
    expect([...c.data]).toEqual([0xab, 0xab, 0xab, 0xab, 0xab]);
  });

  it('[AVP-RNG-4] holds requests while the source is dry and serves them in order once it has bytes', () => {
    const gate = new Gate();
    const dev = new EntropyDevice({ source: gate });
    const lb = new Loopback(dev, { ring });
    const a = lb.submit(0, [], [8]);
    const b = lb.submit(0, [], [8]);
    expect(lb.poll(0)).toEqual([]);
    expect(dev.pending).toBe(2);
    gate.open = true;
    dev.sourceReady();
    const done = lb.poll(0);
    expect(done.map((c) => c.id)).toEqual([a, b]);
    expect(done.map((c) => c.len)).toEqual([8, 8]);
    expect(done[0].data).toEqual(stream(8, 7));
    expect(dev.pending).toBe(0);
  });

  it('[AVP-RNG-4] treats a source that throws or miscounts as one with nothing to give', () => {
    let calls = 0;
    const flaky: EntropySource = {
      fill: (b) => {
        calls++;
        if (calls === 1) throw new Error('TRNG fault');
        if (calls === 2) return Number.NaN;
        if (calls === 3) return -5;
        b.fill(1);
        return 1e9;
      },
    };
    const dev = new EntropyDevice({ source: flaky });
    const lb = new Loopback(dev, { ring });
    lb.submit(0, [], [4]);
    expect(lb.poll(0)).toEqual([]);
    dev.sourceReady();
    dev.sourceReady();
    expect(lb.poll(0)).toEqual([]);
    dev.sourceReady();
    const [c] = lb.poll(0);
    expect(c.len).toBe(4);
    expect(lb.status & DEVICE_NEEDS_RESET).toBe(0);
  });

  it('[AVP-RNG-5] returns a request with device-readable buffers with used length 0, writing nothing, and keeps serving', () => {
    const dev = new EntropyDevice({ source: new DeterministicEntropySource() });
    const lb = new Loopback(dev, { ring });
    const bad = lb.request(0, [new Uint8Array([1, 2, 3])], [16]);
    expect(bad.len).toBe(0);
    const readOnly = lb.request(0, [new Uint8Array(8)], []);
    expect(readOnly.len).toBe(0);
    expect(dev.stats.rejected['readable-buffer']).toBe(2);
    expect(dev.stats.bytes).toBe(0);
    expect(lb.status & DEVICE_NEEDS_RESET).toBe(0);
    expect(lb.request(0, [], [16]).len).toBe(16);
  });

  it('[AVP-RNG-5] returns a request whose writable buffers hold no byte with used length 0', () => {
    const dev = new EntropyDevice({ source: new DeterministicEntropySource() });
    const lb = new Loopback(dev, { ring });
    expect(lb.request(0, [], [0]).len).toBe(0);
    expect(dev.stats.rejected['no-room']).toBe(1);
  });

  it('[AVP-RNG-6] forgets held requests on reset and writes nothing into them afterwards', () => {
    const gate = new Gate();
    const dev = new EntropyDevice({ source: gate });
    const lb = new Loopback(dev, { ring });
    lb.submit(0, [], [8]);
    expect(dev.pending).toBe(1);
    dev.reset();
    expect(dev.pending).toBe(0);
    gate.open = true;
    dev.sourceReady();
    expect(lb.poll(0)).toEqual([]);
    expect(dev.stats.bytes).toBe(0);
  });

  it('[AVP-RNG-9] with a rate limit, gives a guest no more than the bucket holds and serves the rest after a refill', () => {
    const limited = new RateLimitedEntropySource(new DeterministicEntropySource(3), { bytesPerRefill: 16, burst: 32 });
    const dev = new EntropyDevice({ source: limited });
    const lb = new Loopback(dev, { ring });
    expect(lb.request(0, [], [24]).len).toBe(24);
    expect(lb.request(0, [], [24]).len).toBe(8);
    const id = lb.submit(0, [], [24]);
    expect(lb.poll(0)).toEqual([]);
    limited.refill();
    dev.sourceReady();
    const [c] = lb.poll(0);
    expect(c.id).toBe(id);
    expect(c.len).toBe(16);
    expect(dev.stats.bytes).toBe(48);
    for (let i = 0; i < 5; i++) limited.refill();
    expect(limited.available).toBe(32);
  });

  it('[AVP-RNG-8] hands each byte of a shared source to one guest only', () => {
    const shared = new DeterministicEntropySource(11);
    const g1 = new Loopback(new EntropyDevice({ source: shared }), { ring });
    const g2 = new Loopback(new EntropyDevice({ source: shared }), { ring });
    const a = g1.request(0, [], [40]).data;
    const b = g2.request(0, [], [40]).data;
    const c = g1.request(0, [], [40]).data;
    const all = stream(120, 11);
    expect(a).toEqual(all.subarray(0, 40));
    expect(b).toEqual(all.subarray(40, 80));
    expect(c).toEqual(all.subarray(80, 120));
  });

  it('uses the platform CSPRNG unless told otherwise, and it fills buffers beyond one getRandomValues call', () => {
    const dev = new EntropyDevice();
    expect(dev.source).toBeInstanceOf(CryptoEntropySource);
    const big = new Uint8Array(CryptoEntropySource.CHUNK + 1000);
    expect(new CryptoEntropySource().fill(big)).toBe(big.length);
    // 1000 bytes all zero from a CSPRNG has probability 2^-8000.
    expect(big.subarray(CryptoEntropySource.CHUNK).some((x) => x !== 0)).toBe(true);
    const lb = new Loopback(dev, { ring });
    const x = lb.request(0, [], [32]).data;
    const y = lb.request(0, [], [32]).data;
    expect(x).not.toEqual(y);
  });
});

describe('entropy sources', () => {
  it('the deterministic source repeats for a seed and differs between seeds', () => {
    expect(stream(32, 5)).toEqual(stream(32, 5));
    expect(stream(32, 5)).not.toEqual(stream(32, 6));
    expect(stream(32, 0)).toEqual(stream(32, 1)); // seed 0 is not a valid xorshift state: it becomes 1
  });

  it('refuses impossible options', () => {
    const s = new DeterministicEntropySource();
    expect(() => new RateLimitedEntropySource(s, { bytesPerRefill: 0 })).toThrow(RangeError);
    expect(() => new RateLimitedEntropySource(s, { bytesPerRefill: 8, burst: 4 })).toThrow(RangeError);
    expect(() => new EntropyDevice({ maxBytesPerRequest: 0 })).toThrow(RangeError);
    expect(() => new EntropyDevice({ maxQueueSize: 0 })).toThrow(RangeError);
  });
});
