// The GPIO device (VIRTIO 1.4 §5.18) as one guest's view of a physical controller with a
// platform line table, and a guest-side driver.
export * from './protocol.ts';
export * from './controller.ts';
export * from './device.ts';
export * from './driver.ts';
