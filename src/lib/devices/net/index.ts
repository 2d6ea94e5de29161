// The network device (VIRTIO 1.4 §5.1), its back ends and the virtual switch.
export * from './features.ts';
export * from './config.ts';
export * from './net-hdr.ts';
export * from './ethernet.ts';
export * from './checksum.ts';
export * from './control.ts';
export * from './rx-filter.ts';
export * from './steering.ts';
export * from './backend.ts';
export * from './device.ts';
export * from './switch.ts';
export * from './driver.ts';
