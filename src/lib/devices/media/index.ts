// The media device (VIRTIO 1.4 §5.22): V4L2 over virtio, a rear-view camera with its sensor
// and access policy, a toy-codec decoder, a guest-side driver, and the reverse-gear timeline.
export * from './errno.ts';
export * from './protocol.ts';
export * from './v4l2.ts';
export * from './clock.ts';
export * from './toy-codec.ts';
export * from './scene.ts';
export * from './frame-svg.ts';
export * from './buffers.ts';
export * from './stats.ts';
export * from './event-queue.ts';
export * from './device.ts';
export * from './camera.ts';
export * from './access-policy.ts';
export * from './decoder.ts';
export * from './driver.ts';
export * from './rear-view.ts';
