// The input device (VIRTIO 1.4 §5.8), its device kinds, a guest-side driver, and the
// automotive focus router that shares a touchscreen and steering-wheel keys among guests.
export * from './codes.ts';
export * from './event.ts';
export * from './config.ts';
export * from './profile.ts';
export * from './config-select.ts';
export * from './clock.ts';
export * from './state.ts';
export * from './stats.ts';
export * from './event-queue.ts';
export * from './device.ts';
export * from './driver.ts';
export * from './focus-router.ts';
