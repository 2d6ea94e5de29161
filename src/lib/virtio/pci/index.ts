// Virtio over PCI (VIRTIO 1.4 §4.1): IDs, capability layout, a register model and a driver.
export * from './layout.ts';
export * from './capabilities.ts';
export * from './transport.ts';
export * from './driver.ts';
