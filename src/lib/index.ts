// The public API of the reference implementation: what examples, vendors' tests and the
// in-browser runner import. Everything here runs in Node and in browsers.
export * from './virtio/errors.ts';
export * from './virtio/memory.ts';
export * from './virtio/feature-bits.ts';
export * from './virtio/status.ts';
export * from './virtio/chain.ts';
export type * from './virtio/queue.ts';
