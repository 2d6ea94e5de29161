// The I2C adapter device (VIRTIO 1.4 §5.16) on a shared bus with an ownership table, the
// bus-time arbiter shared with SPI, simulated parts, and a guest-side driver.
export * from './protocol.ts';
export * from './arbiter.ts';
export * from './targets.ts';
export * from './bus.ts';
export * from './device.ts';
export * from './driver.ts';
// The model time a timed bus runs on, for callers that import only the public API.
export { ModelClock } from '../../virtio/model-clock.ts';
