// Conformance vectors: the versioned format, its parser and the runner over the reference
// implementation.
export * from './vector-schema.ts';
export * from './parse-vector.ts';
export * from './run-vector.ts';
