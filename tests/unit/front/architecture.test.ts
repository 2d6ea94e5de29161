// The requirements every AVP device shares (Architecture chapter), checked on every device
// model of the reference implementation.
import { describe, expect, it } from 'vitest';
import { bit, block, can, DEVICE_NEEDS_RESET, entropy, fs, Loopback, net, vconsole, vsock, VIRTIO_F_VERSION_1, type VirtioDevice } from '../../../src/lib/index.ts';
import { RING_TYPES } from '../../support/rings.ts';

/** One factory per device model; a new model adds itself here. */
const MODELS: Record<string, () => VirtioDevice> = {
  block: () => new block.BlockDevice(new block.MemoryBlockBackend({ sectors: 16 })),
  entropy: () => new entropy.EntropyDevice({ source: new entropy.DeterministicEntropySource(1) }),
  net: () => new net.NetDevice({ mac: '52:54:00:00:00:01' }),
  fs: () => new fs.FsDevice({ tag: 'data', share: new fs.FsShare(new fs.MemFs()) }),
  vsock: () => new vsock.VsockDevice({ guestCid: 3 }),
  can: () => new can.CanDevice(),
  console: () => new vconsole.ConsoleDevice({ maxPorts: 2 }),
};

describe.each(Object.keys(MODELS))('%s device', (name) => {
  it('[AVP-ARCH-1] [AVP-ARCH-5] offers VIRTIO_F_VERSION_1 and refuses FEATURES_OK without it', () => {
    const dev = MODELS[name]();
    expect(dev.offeredFeatures() & bit(VIRTIO_F_VERSION_1)).not.toBe(0n);
    const legacy = dev.offeredFeatures() & ~bit(VIRTIO_F_VERSION_1);
    expect(dev.checkFeatures(legacy)).toMatch(/VERSION_1/);
    expect(() => new Loopback(MODELS[name](), { features: legacy })).toThrow(/FEATURES_OK refused/);
    expect(dev.checkFeatures(dev.offeredFeatures())).toBeNull();
  });
});

describe.each(RING_TYPES)('isolation between device instances (%s ring)', (ring) => {
  it('[AVP-ARCH-2] a broken ring on one block device leaves another instance of the model working', () => {
    const victim = new Loopback(new block.BlockDevice(new block.MemoryBlockBackend({ sectors: 16 })), { ring });
    const bystander = new block.BlockDriver(new Loopback(new block.BlockDevice(new block.MemoryBlockBackend({ sectors: 16 })), { ring }));
    // A buffer far outside the guest's memory: the device must refuse the ring, not read it.
    victim.queues[0].add([{ addr: 0x7fff_0000_0000, len: 16, writable: false }]);
    victim.kick(0);
    expect(victim.status & DEVICE_NEEDS_RESET).toBe(DEVICE_NEEDS_RESET);
    expect(victim.error?.code).toBe('ADDR_OUT_OF_RANGE');

    const data = Uint8Array.from({ length: 512 }, (_, i) => i & 0xff);
    expect(bystander.write(3, data).status).toBe(block.VIRTIO_BLK_S_OK);
    const r = bystander.read(3, 1);
    expect(r.status).toBe(block.VIRTIO_BLK_S_OK);
    expect([...r.data]).toEqual([...data]);
  });

  it('[AVP-ARCH-2] a guest whose network device needs a reset does not stop two others on the same switch', () => {
    const sw = new net.VirtualSwitch();
    const guest = (mac: string) => {
      const dev = new net.NetDevice({ mac });
      sw.plug(dev, { vlan: 1 });
      const lb = new Loopback(dev, { ring });
      const drv = new net.NetDriver(lb);
      drv.postRx(4);
      return { lb, drv };
    };
    const bad = guest('52:54:00:00:00:0a');
    const b = guest('52:54:00:00:00:0b');
    const c = guest('52:54:00:00:00:0c');
    bad.lb.queues[1].add([{ addr: 0x7fff_0000_0000, len: 64, writable: false }]); // transmitq1
    bad.lb.kick(1);
    expect(bad.lb.status & DEVICE_NEEDS_RESET).toBe(DEVICE_NEEDS_RESET);

    const frame = net.buildFrame({ dst: c.drv.mac, src: b.drv.mac, ethertype: 0x88b5, payload: new Uint8Array([1, 2, 3]) });
    b.drv.send(frame);
    const got = c.drv.receive();
    expect(got).toHaveLength(1);
    expect([...net.parseFrame(got[0].frame)!.payload.subarray(0, 3)]).toEqual([1, 2, 3]);
  });
});
