// Device status, feature negotiation and queue set-up (VIRTIO 1.4 §2.1, §2.2, §2.4, §3.1),
// independent of the transport that carries them.
export * from './errors.ts';
export * from './status-rules.ts';
export * from './features.ts';
export * from './queue-setup.ts';
export * from './device-lifecycle.ts';
