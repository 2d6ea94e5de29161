// A sample cockpit platform: an instrument cluster, an infotainment (IVI) guest and a small RTOS
// guest on one system-on-chip, each with its own virtio-mmio devices. The addresses follow a
// common Arm virtual machine layout: the GIC at 0x0800_0000, virtio-mmio windows of 0x200 bytes
// from 0x0a00_0000, RAM from 0x4000_0000; SPIs from 16 upwards.
import type { PlatformInput } from './schema.ts';

type DeviceInput = PlatformInput['guests'][number]['devices'][number];

/** n devices of 0x200 bytes each from 0x0a000000, with SPIs from 16, in the order given. */
function mmioRow(devices: Omit<DeviceInput, 'base' | 'interrupt'>[]): DeviceInput[] {
  return devices.map((d, i) => ({ ...d, base: 0x0a000000 + i * 0x200, interrupt: { spi: 16 + i } }));
}

// #region cockpit
export function cockpitPlatform(): PlatformInput {
  const gic = { distributor: 0x08000000, redistributors: 0x080a0000 };
  return {
    name: 'AVP sample cockpit',
    guests: [
      {
        name: 'cluster',
        model: 'AVP cockpit: instrument cluster',
        cpus: 2,
        memory: [{ base: 0x40000000, size: 0x20000000 }],
        gic,
        bootargs: 'console=hvc0 root=/dev/vda ro',
        devices: mmioRow([
          { id: 'rootfs', type: 'block' },
          { id: 'console', type: 'console' },
          { id: 'rng', type: 'entropy' },
          { id: 'display', type: 'gpu' },
          { id: 'wheel-keys', type: 'input' },
          { id: 'can0', type: 'can' },
          { id: 'vsock', type: 'vsock' },
        ]),
      },
      {
        name: 'ivi',
        model: 'AVP cockpit: infotainment',
        cpus: 4,
        memory: [
          { base: 0x40000000, size: 0x80000000 },
          { base: 0x100000000, size: 0x40000000 },
        ],
        reserved: [{ base: 0x7f000000, size: 0x1000000 }],
        gic,
        bootargs: 'console=hvc0 root=/dev/vda ro',
        devices: mmioRow([
          { id: 'viommu', type: 'iommu' },
          { id: 'system', type: 'block', iommu: { device: 'viommu', endpoint: 1 } },
          { id: 'net0', type: 'net', iommu: { device: 'viommu', endpoint: 2 } },
          { id: 'display', type: 'gpu', iommu: { device: 'viommu', endpoint: 3 } },
          { id: 'audio', type: 'sound', iommu: { device: 'viommu', endpoint: 4 } },
          { id: 'touch', type: 'input' },
          { id: 'wheel-keys', type: 'input' },
          { id: 'console', type: 'console' },
          { id: 'vsock', type: 'vsock' },
        ]),
      },
      {
        name: 'rtos',
        model: 'AVP cockpit: safety RTOS',
        memory: [{ base: 0x40000000, size: 0x1000000 }],
        gic: { ...gic, spis: 64 },
        devices: mmioRow([
          { id: 'can0', type: 'can' },
          { id: 'console', type: 'console' },
          { id: 'vsock', type: 'vsock' },
        ]),
      },
    ],
  };
}
// #endregion cockpit
