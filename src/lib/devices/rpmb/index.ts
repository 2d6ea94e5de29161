// The RPMB device (VIRTIO 1.4 §5.12): frames, the protocol engine over a store, the virtio
// device, the requester's side, and the partition layer that gives several guests each a
// virtual RPMB on one physical part.
export * from './frame.ts';
export * from './hmac.ts';
export * from './config.ts';
export * from './store.ts';
export * from './engine.ts';
export * from './device.ts';
export * from './requests.ts';
export * from './client.ts';
export * from './partition.ts';
export * from './rollback.ts';
