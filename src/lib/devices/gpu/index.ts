// The GPU device (VIRTIO 1.4 §5.7) in its 2D form, the platform compositor that shares one
// panel between guests under a protected telltale plane, and a guest-side driver.
export * from './protocol.ts';
export * from './features.ts';
export * from './config.ts';
export * from './edid.ts';
export * from './resources.ts';
export * from './display.ts';
export * from './capsets.ts';
export * from './state.ts';
export * from './stats.ts';
export * from './device.ts';
export * from './driver.ts';
export * from './telltales.ts';
export * from './compositor.ts';
export * from './picture.ts';
