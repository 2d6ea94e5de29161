// The block device (VIRTIO 1.4 §5.2), its back ends and a guest-side driver.
export * from './features.ts';
export * from './config.ts';
export * from './request.ts';
export * from './backend.ts';
export * from './device.ts';
export * from './driver.ts';
