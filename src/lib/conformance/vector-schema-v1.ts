// The virtqueue vector format, version 1, kept so that version 1 files stay readable: the
// reader converts them to version 2 (vector-upgrade.ts), which is what the runner replays.
// Version 2 (vector-schema.ts) replaced it because a port to another implementation could not
// express everything in it: addresses above 2^53, memory with holes, a ring that starts near an
// index wrap, acceptable sets of errors, set-up and status expectations, refused pushes.
import { z } from 'zod';
import { VIRTQ_ERROR_CODES } from '../virtio/errors.ts';

export const VECTOR_FORMAT = 'avp-virtqueue-vectors';
export const VECTOR_V1 = 1;

// #region vector-values
/** A guest address or length: an integer, or a "0x…" string for readability. */
const num = z.union([
  z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  z.string().regex(/^0x[0-9a-fA-F]{1,13}$/, 'a "0x…" hex number below 2^53'),
]);

/** Bytes as hex digits; spaces and "_" may group them (e.g. "00100000 0000_0000"). */
const hex = z.string().regex(/^([0-9a-fA-F]{2}|[\s_])*$/, 'pairs of hex digits, optionally grouped by spaces or "_"');

const errorCode = z.enum(VIRTQ_ERROR_CODES);

/** The features a vector may negotiate; the ring type is given by `ring`, not here. */
const VECTOR_FEATURES = ['VIRTIO_F_INDIRECT_DESC', 'VIRTIO_F_EVENT_IDX', 'VIRTIO_F_IN_ORDER'] as const;

const buffer = z.object({ addr: num, len: num, writable: z.boolean() }).strict();
const errorOutcome = z.object({ error: errorCode }).strict();
// #endregion vector-values

// #region vector-steps
const step = z.discriminatedUnion('op', [
  /** The driver makes a buffer available; expect the token it gets, or the error it meets. */
  z.object({ op: z.literal('driver.add'), buffers: z.array(buffer).min(1), indirect: z.boolean().optional(), expect: z.union([z.object({ id: num }).strict(), errorOutcome]).optional() }).strict(),
  /** Whether the driver must notify the device now. */
  z.object({ op: z.literal('driver.kick'), expect: z.boolean() }).strict(),
  /** The next used buffer the driver sees: its token and written length, null for none, or an error. */
  z.object({ op: z.literal('driver.poll'), expect: z.union([z.object({ id: num, len: num }).strict(), z.null(), errorOutcome]) }).strict(),
  z.object({ op: z.literal('driver.interrupts'), enabled: z.boolean() }).strict(),
  /** The device takes the next chain: its buffers, nothing available, or the error that stops the queue. */
  z.object({
    op: z.literal('device.pop'),
    expect: z.union([
      z.object({ chain: z.object({ id: num, descCount: num.optional(), buffers: z.array(buffer) }).strict() }).strict(),
      z.object({ empty: z.literal(true) }).strict(),
      errorOutcome,
    ]),
  }).strict(),
  /** The device returns a chain it popped (by its id) with the bytes it wrote. */
  z.object({ op: z.literal('device.push'), id: num, len: num }).strict(),
  /** Whether the device must send a used buffer notification now. */
  z.object({ op: z.literal('device.notify'), expect: z.boolean() }).strict(),
  z.object({ op: z.literal('device.notifications'), enabled: z.boolean() }).strict(),
  /** Guest memory written directly, as a driver (or a corrupting bug) would. */
  z.object({ op: z.literal('memory.write'), addr: num, hex }).strict(),
  /** Guest memory that must hold these bytes now, e.g. a used ring entry. */
  z.object({ op: z.literal('memory.expect'), addr: num, hex }).strict(),
]);
// #endregion vector-steps

// #region vector-case
const vectorCase = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    /** Requirement IDs the case verifies. */
    requirements: z.array(z.string().regex(/^AVP-[A-Z][A-Z0-9]{1,9}-[1-9][0-9]*$/, 'a requirement ID such as AVP-VQ-3')).optional(),
    ring: z.enum(['split', 'packed']),
    queueSize: z.number().int().nonnegative(),
    features: z.array(z.enum(VECTOR_FEATURES)),
    /** One zero-filled region of guest memory. */
    memory: z.object({ base: num.optional(), size: num }).strict(),
    /** Initial contents, applied in order before the queue is created. */
    writes: z.array(z.object({ addr: num, hex }).strict()).optional(),
    queue: z.object({ desc: num, driver: num, device: num }).strict(),
    /** Guest memory the driver may use for indirect tables. */
    driverIndirectArea: z.object({ addr: num, size: num }).strict().optional(),
    /** The longest chain the device accepts, if below the queue size. */
    deviceMaxChainLength: z.number().int().positive().optional(),
    steps: z.array(step).min(1),
  })
  .strict();

export const vectorFileV1 = z
  .object({
    $schema: z.string().optional(),
    format: z.literal(VECTOR_FORMAT),
    version: z.literal(VECTOR_V1),
    description: z.string().optional(),
    cases: z.array(vectorCase).min(1),
  })
  .strict();
// #endregion vector-case

export type VectorFileV1 = z.infer<typeof vectorFileV1>;
export type VectorCaseV1 = z.infer<typeof vectorCase>;
export type VectorStepV1 = z.infer<typeof step>;

/** The JSON Schema of a version 1 file, still published for tools that read old files. */
export function vectorJsonSchemaV1(): Record<string, unknown> {
  return { $id: 'urn:avp-spec:virtqueue-vectors:v1', title: 'AVP virtqueue conformance vectors, version 1', ...z.toJSONSchema(vectorFileV1) };
}
