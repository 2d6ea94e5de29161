// The virtio-iommu device (VIRTIO 1.4 §5.13): the wire format, the configuration, the address
// spaces it keeps, its fault budget, the device (which is also the platform IOMMU the core's
// DMA path asks), and the guest-side driver with a strict DMA layer.
export * from './protocol.ts';
export * from './config.ts';
export * from './domains.ts';
export * from './faults.ts';
export * from './device.ts';
export * from './driver.ts';
