// The sound device (VIRTIO 1.4 §5.14), its wire format, a guest-side driver, latency classes
// and the automotive mixer that puts several guests' streams on one loudspeaker.
export * from './protocol.ts';
export * from './formats.ts';
export * from './config.ts';
export * from './latency.ts';
export * from './topology.ts';
export * from './info.ts';
export * from './pcm-state.ts';
export * from './params.ts';
export * from './clock.ts';
export * from './stats.ts';
export * from './stream.ts';
export * from './xfer.ts';
export * from './event-queue.ts';
export * from './device.ts';
export * from './driver.ts';
export * from './mixer.ts';
export * from './zone.ts';
