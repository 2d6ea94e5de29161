// The memory device (VIRTIO 1.4 §5.15, virtio-mem), a guest-side driver, and the platform's
// host memory pool that memory devices and balloons draw from.
export * from './protocol.ts';
export * from './errors.ts';
export * from './blocks.ts';
export * from './device.ts';
export * from './driver.ts';
export * from './pool.ts';
export * from './pool-svg.ts';
export { ModelClock } from '../../virtio/model-clock.ts';
