// The console device (VIRTIO 1.4 §5.3): ports, the multiport control protocol, emergency write,
// the host side (logs, input, the input gate) and a guest-side driver.
export * from './features.ts';
export * from './config.ts';
export * from './queues.ts';
export * from './control.ts';
export * from './control-check.ts';
export * from './host.ts';
export * from './console-log.ts';
export * from './queued-input.ts';
export { CONSOLE_DROP_REASONS, type ConsoleDropReason, type ConsoleStats } from './stats.ts';
export { checkPortName, type ConsolePortOptions, type ConsolePortState, type ConsoleSize } from './port.ts';
export * from './device.ts';
export * from './driver.ts';
