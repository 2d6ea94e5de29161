// The entropy device (VIRTIO 1.4 §5.4) and its byte sources.
export * from './source.ts';
export * from './device.ts';
