// The file system device (VIRTIO 1.4 §5.11): the FUSE codec, an in-memory host tree, the
// device and a guest-side FUSE client.
export * from './features.ts';
export * from './config.ts';
export * from './errno.ts';
export * from './fuse-wire.ts';
export * from './fuse-header.ts';
export * from './fuse-init.ts';
export * from './fuse-attr.ts';
export * from './fuse-file.ts';
export * from './fuse-dirent.ts';
export * from './memfs.ts';
export * from './share.ts';
export * from './session.ts';
export * from './outcome.ts';
export type * from './context.ts';
export * from './server.ts';
export * from './notify.ts';
export * from './device.ts';
export * from './driver.ts';
