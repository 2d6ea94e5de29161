// Conformance vectors: the versioned format, its parser and the runner over the reference
// implementation.
export * from './vector-schema.ts';
export * from './parse-vector.ts';
export * from './run-vector.ts';
export * from './device-vector-schema.ts';
export * from './device-registry.ts';
export * from './parse-device-vector.ts';
export * from './run-device-vector.ts';
export * from './transport-vector-schema.ts';
export * from './parse-transport-vector.ts';
export * from './run-transport-vector.ts';
