// Reception (§5.1.9.3, §5.1.9.4): frames from the back end into the buffers the driver posted.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import * as F from '../../../../src/lib/devices/net/features.ts';
import { NetDevice } from '../../../../src/lib/devices/net/device.ts';
import { decodeNetHdr } from '../../../../src/lib/devices/net/net-hdr.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { ALL, frame, guest, MAC_A, MAC_B, needsReset, withoutBits } from './harness.ts';

const NO_MRG = { features: withoutBits(ALL, F.VIRTIO_NET_F_MRG_RXBUF) };

describe.each(RING_TYPES)('receive (%s ring)', (ring) => {
  it('[AVP-NET-10] [AVP-NET-13] puts one frame in one buffer behind a header with num_buffers 1, flags 0 and gso_type NONE', () => {
    const g = guest(ring, {}, NO_MRG);
    g.drv.postRx(2);
    const f = frame(MAC_A, MAC_B, 200);
    expect(g.dev.receive(f)).toBe('delivered');
    const got = g.drv.receive();
    expect(got).toHaveLength(1);
    expect(got[0].frame).toEqual(f);
    expect(got[0].hdr).toEqual({ flags: 0, gsoType: 0, hdrLen: 0, gsoSize: 0, csumStart: 0, csumOffset: 0, numBuffers: 1 });
    expect(g.lb.usedNotifications[0]).toBeGreaterThan(0);
  });

  it('[AVP-NET-10] with MRG_RXBUF still uses one buffer when the frame fits, and says so', () => {
    const g = guest(ring);
    g.drv.postRx(4);
    g.dev.receive(frame(MAC_A, MAC_B, 100));
    const [p] = g.drv.receive();
    expect(p.hdr.numBuffers).toBe(1);
    expect(p.buffers).toBe(1);
  });

  it('[AVP-NET-10] with MRG_RXBUF spreads a frame over several buffers, filling all but the last to the brim', () => {
    const g = guest(ring);
    g.drv.postRx(8, 256);
    const f = frame(MAC_A, MAC_B, 1000); // 12 + 1014 = 1026 bytes: four full buffers of 256 and 2 bytes in a fifth
    g.dev.receive(f);
    const done = g.lb.poll(0);
    expect(done.map((c) => c.len)).toEqual([256, 256, 256, 256, 2]);
    expect(decodeNetHdr(done[0].data).numBuffers).toBe(5);
    const bytes = new Uint8Array(done.reduce((n, c) => n + c.len, 0));
    let at = 0;
    for (const c of done) {
      bytes.set(c.data, at);
      at += c.len;
    }
    expect(bytes.subarray(12)).toEqual(f);
  });

  it('[AVP-NET-10] reassembles consecutive merged frames in order', () => {
    const g = guest(ring);
    g.drv.postRx(16, 100);
    const frames = [frame(MAC_A, MAC_B, 300), frame(MAC_A, MAC_B, 46), frame(MAC_A, MAC_B, 150)];
    for (const f of frames) expect(g.dev.receive(f)).toBe('delivered');
    const got = g.drv.receive();
    expect(got.map((p) => p.frame)).toEqual(frames);
    expect(got.map((p) => p.buffers)).toEqual([4, 1, 2]);
  });

  it('[AVP-NET-11] counts and drops frames when no buffer is posted, then delivers once there are', () => {
    const g = guest(ring);
    expect(g.dev.receive(frame(MAC_A, MAC_B))).toBe('no-buffers');
    expect(g.dev.receive(frame(MAC_A, MAC_B))).toBe('no-buffers');
    expect(g.dev.stats.rxDrops['no-buffers']).toBe(2);
    g.drv.postRx(1);
    const f = frame(MAC_A, MAC_B, 77);
    expect(g.dev.receive(f)).toBe('delivered');
    expect(g.drv.receive().map((p) => p.frame)).toEqual([f]);
    expect(needsReset(g)).toBe(false);
  });

  it('[AVP-NET-11] with MRG_RXBUF drops a frame the posted buffers cannot hold, whole, and keeps the buffers', () => {
    const g = guest(ring);
    g.drv.postRx(2, 100);
    expect(g.dev.receive(frame(MAC_A, MAC_B, 300))).toBe('no-buffers');
    expect(g.lb.poll(0)).toHaveLength(0); // nothing returned, nothing half-written
    const small = frame(MAC_A, MAC_B, 100);
    expect(g.dev.receive(small)).toBe('delivered');
    expect(g.drv.receive().map((p) => p.frame)).toEqual([small]);
  });

  it('[AVP-NET-11] without MRG_RXBUF never truncates: a frame larger than the buffer is dropped and the buffer kept', () => {
    const g = guest(ring, {}, NO_MRG);
    g.drv.postRx(1, 100);
    expect(g.dev.receive(frame(MAC_A, MAC_B, 200))).toBe('buffer-too-small');
    expect(g.dev.stats.rxDrops['buffer-too-small']).toBe(1);
    expect(g.lb.poll(0)).toHaveLength(0);
    const fits = frame(MAC_A, MAC_B, 74); // 12 + 88 = 100
    expect(g.dev.receive(fits)).toBe('delivered');
    expect(g.drv.receive().map((p) => p.frame)).toEqual([fits]);
  });

  it('[AVP-NET-12] returns a buffer too small for the header with length 0 and uses the next one', () => {
    const g = guest(ring);
    g.drv.postRx(1, 11);
    g.drv.postRx(1);
    const f = frame(MAC_A, MAC_B);
    expect(g.dev.receive(f)).toBe('delivered');
    const done = g.lb.poll(0);
    expect(done[0].len).toBe(0);
    expect(done[1].len).toBe(12 + f.length);
    expect(g.dev.stats.rxBadBuffers).toBe(1);
    expect(needsReset(g)).toBe(false);
  });

  it('[AVP-NET-6] delivers a frame of mtu plus the Ethernet header and drops a longer one', () => {
    const g = guest(ring, { mtu: 576 }, { features: withoutBits(ALL, F.VIRTIO_NET_F_CTRL_VLAN) });
    g.drv.postRx(4, 2048);
    const max = frame(MAC_A, MAC_B, 576);
    expect(g.dev.receive(max)).toBe('delivered');
    expect(g.dev.receive(frame(MAC_A, MAC_B, 576, { pcp: 0, dei: false, vid: 5 }))).toBe('delivered');
    expect(g.dev.receive(frame(MAC_A, MAC_B, 577))).toBe('over-mtu');
    expect(g.drv.receive()).toHaveLength(2);
    expect(g.dev.stats.rxDrops['over-mtu']).toBe(1);
  });

  it('drops runts from the back end', () => {
    const g = guest(ring);
    g.drv.postRx(1);
    expect(g.dev.receive(new Uint8Array(13))).toBe('runt');
    expect(g.drv.receive()).toHaveLength(0);
  });

  it('[AVP-NET-14] drops frames before DRIVER_OK and after a reset', () => {
    const dev = new NetDevice({ mac: MAC_A });
    expect(dev.receive(frame(MAC_A, MAC_B))).toBe('inactive');
    const lb = new Loopback(dev, { ring });
    lb.submit(0, [], [1526]);
    dev.reset();
    expect(dev.receive(frame(MAC_A, MAC_B))).toBe('inactive');
    expect(dev.stats.rxDrops.inactive).toBe(2);
    expect(lb.poll(0)).toHaveLength(0);
  });

  it('frames reach the driver through the tap as the back end', () => {
    const g = guest(ring);
    g.drv.postRx(1);
    const f = frame(MAC_A, MAC_B);
    g.tap.send(f);
    expect(g.drv.receive().map((p) => p.frame)).toEqual([f]);
  });
});
