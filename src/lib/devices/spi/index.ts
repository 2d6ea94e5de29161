// The SPI controller device (VIRTIO 1.4 §5.21) on a shared bus with an ownership table and
// bus-time budgets, simulated peripherals, and a guest-side driver.
export * from './protocol.ts';
export * from './config.ts';
export * from './validate.ts';
export * from './peripherals.ts';
export * from './bus.ts';
export * from './device.ts';
export * from './driver.ts';
