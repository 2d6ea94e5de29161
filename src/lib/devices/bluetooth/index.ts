// The virtio Bluetooth device (device ID 40, reserved in VIRTIO 1.4 and defined by Linux): the
// Linux-defined constants and configuration, the HCI codec, the model radio, the virtual
// controller, the physical controllers of the platform, the virtio device and a guest host.
export * from './protocol.ts';
export * from './hci.ts';
export * from './radio.ts';
export * from './controller.ts';
export * from './platform.ts';
export * from './device.ts';
export * from './host.ts';
export { ModelClock } from '../../virtio/model-clock.ts';
