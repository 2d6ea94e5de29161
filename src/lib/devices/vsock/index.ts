// The socket device (VIRTIO 1.4 §5.10), the host's vsock switch and sockets, and a guest driver.
export * from './features.ts';
export * from './config.ts';
export * from './packet.ts';
export * from './credit.ts';
export * from './connection.ts';
export * from './socket-table.ts';
export * from './policy.ts';
export * from './flow-table.ts';
export * from './switch.ts';
export * from './host.ts';
export * from './rx-hold.ts';
export * from './device.ts';
export * from './driver.ts';
