// rpmsg over VIRTIO (device ID 7, reserved in VIRTIO 1.4 §5 with no device section) as Linux
// guests use it, and the remoteproc life cycle the AVP asks of a platform with special processor
// cores: the wire format, the resource table and its checks, firmware images, remote services,
// the core, the guest's link (the virtio device), the platform, and a guest-side driver.
export * from './protocol.ts';
export * from './resource-table.ts';
export * from './firmware.ts';
export * from './services.ts';
export * from './device.ts';
export * from './core.ts';
export * from './platform.ts';
export * from './driver.ts';
export * from './island.ts';
export { ModelClock } from '../../virtio/model-clock.ts';
