// The crypto device (VIRTIO 1.4 §5.9): its numbers and layouts, the HSM behind it with per-guest
// key handles and sessions, the virtio device, and request builders for the driver's side.
export * from './constants.ts';
export * from './hsm.ts';
export * from './device.ts';
export * from './requests.ts';
export * from './client.ts';
