// The SCMI device (VIRTIO 1.4 §5.17): the message header and status codes, the base and sensor
// management protocols, the platform's sensor table and agents on model time, the virtio
// device, and a guest-side agent.
export * from './header.ts';
export * from './messages.ts';
export * from './sensor-table.ts';
export * from './platform.ts';
export * from './session.ts';
export * from './dispatch.ts';
export * from './base-protocol.ts';
export * from './sensor-protocol.ts';
export * from './device.ts';
export * from './agent.ts';
export * from './vehicle.ts';
// The model clock the platform samples on, for code that imports only the public API.
export { ModelClock } from '../../virtio/model-clock.ts';
