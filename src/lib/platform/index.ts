// Device discovery: a platform description (schema.ts), and for each guest the device tree
// that tells it where its virtio-mmio devices are, as source text (dts.ts) and as a flattened
// blob (fdt.ts). No DOM and no Node-only APIs: it runs in Node and in browsers.
export * from './schema.ts';
export * from './devicetree.ts';
export * from './dts.ts';
export * from './fdt.ts';
export * from './generate.ts';
export * from './sample.ts';
