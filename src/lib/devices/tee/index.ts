// TEE access on the AVP: a relay between the guests and one TEE that keeps each guest's sessions
// and shared memory its own, a model of the trusted OS behind it, a key-store trusted
// application, and the guest driver's bookkeeping. VIRTIO 1.4 reserves device ID 46 for a TEE
// device but specifies no protocol for it, so nothing here is a virtqueue device.
export * from './results.ts';
export * from './messages.ts';
export * from './trusted-os.ts';
export * from './keystore-ta.ts';
export * from './relay.ts';
export * from './client.ts';
