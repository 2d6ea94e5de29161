// The public API of the reference implementation: what examples, vendors' tests and the
// in-browser runner import. Everything here runs in Node and in browsers.
export * from './virtio/errors.ts';
export * from './virtio/memory.ts';
export * from './virtio/feature-bits.ts';
export * from './virtio/status.ts';
export * from './virtio/chain.ts';
export type * from './virtio/queue.ts';
export * from './virtio/range-allocator.ts';
export * from './virtio/chain-io.ts';
export * from './virtio/config-space.ts';
export * from './virtio/device.ts';
export * from './virtio/queue-factory.ts';
export * from './virtio/loopback.ts';
export * as packed from './virtio/packed/index.ts';
export * as split from './virtio/split/index.ts';
export * as lifecycle from './virtio/lifecycle/index.ts';
export * as mmio from './virtio/mmio/index.ts';
export * as pci from './virtio/pci/index.ts';
export * from './virtio/driver-requests.ts';
export * from './virtio/driver-init.ts';
export * from './virtio/config-read.ts';
export * as conformance from './conformance/index.ts';
export * from './rich-output.ts';
export * as platform from './platform/index.ts';
// Device models: one line each, added by the model's author.
export * as net from './devices/net/index.ts';
export * as block from './devices/block/index.ts';
export * as entropy from './devices/entropy/index.ts';
export * as fs from './devices/fs/index.ts';
export * as can from './devices/can/index.ts';
export * as vsock from './devices/vsock/index.ts';
export * as vconsole from './devices/console/index.ts';
export * as input from './devices/input/index.ts';
export * as gpu from './devices/gpu/index.ts';
export * as media from './devices/media/index.ts';
export * as sound from './devices/sound/index.ts';
export * as rpmb from './devices/rpmb/index.ts';
