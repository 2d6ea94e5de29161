// The traditional memory balloon (VIRTIO 1.4 §5.5): its wire format, the device with its
// statistics, free page hinting and free page reporting, and a guest-side driver.
export * from './protocol.ts';
export * from './errors.ts';
export * from './pages.ts';
export * from './stats.ts';
export * from './hints.ts';
export * from './device.ts';
export * from './driver.ts';
