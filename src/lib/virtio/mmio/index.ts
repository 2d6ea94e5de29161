// virtio-mmio version 2 (VIRTIO 1.4 §4.2): the register layout, the device-side register
// model, and a guest driver that uses nothing but register accesses.
export * from './registers.ts';
export * from './transport.ts';
export * from './driver.ts';
export * from './trace.ts';
