// The CAN device (VIRTIO 1.4 §5.20), the virtual CAN bus it sits on, and a guest-side driver.
export * from './features.ts';
export * from './config.ts';
export * from './frame.ts';
export * from './message.ts';
export * from './tx.ts';
export * from './bus.ts';
export * from './tap.ts';
export * from './rx.ts';
export * from './stats.ts';
export * from './device.ts';
export * from './driver.ts';
