// The virtqueue conformance vector format, version 2. A vector file describes virtqueue cases
// that any implementation can replay: guest memory (one or more regions, holes between them),
// the queue's place in it, where the device's indices start, a list of driver and device
// operations, and what each must produce. Every 64-bit value is a hex string, so that a port
// of the runner to a language whose numbers are doubles loses nothing. The zod schema below is
// the single definition; the JSON Schema published with the site is generated from it.
import { z } from 'zod';
import { VIRTQ_ERROR_CODES } from '../virtio/errors.ts';

export const VECTOR_FORMAT = 'avp-virtqueue-vectors';
export const VECTOR_VERSION = 2;

// #region vector-values
/** A 64-bit value (a guest address): "0x" and 1 to 16 hex digits. */
const U64_HINT = 'a 64-bit value: "0x" and 1 to 16 hex digits';
export const u64 = z.string({ error: U64_HINT }).regex(/^0x[0-9a-fA-F]{1,16}$/, U64_HINT);

/** A value of at most 32 bits (a length, a size, an ID): an integer, or "0x" and up to 8 hex digits. */
export const u32 = z.union([z.number().int().min(0).max(0xffff_ffff), z.string().regex(/^0x[0-9a-fA-F]{1,8}$/, 'a 32-bit value: "0x" and 1 to 8 hex digits')]);

/** Bytes as hex digits; spaces and "_" may group them (e.g. "00100000 0000_0000"). */
export const hexBytesString = z.string().regex(/^([0-9a-fA-F]{2}|[\s_])*$/, 'pairs of hex digits, optionally grouped by spaces or "_"');

const errorCode = z.enum(VIRTQ_ERROR_CODES);

/**
 * What error is acceptable: one code; a list, any of which will do (where VIRTIO lets a device
 * notice one of several faults first); or "*", any error at all.
 */
export const errorExpectation = z.union([errorCode, z.array(errorCode).min(2), z.literal('*')]);
const errorOutcome = z.object({ error: errorExpectation }).strict();

/** The features a vector may negotiate; the ring type is given by `ring`, not here. */
export const VECTOR_FEATURES = ['VIRTIO_F_INDIRECT_DESC', 'VIRTIO_F_EVENT_IDX', 'VIRTIO_F_IN_ORDER'] as const;

const buffer = z.object({ addr: u64, len: u32, writable: z.boolean() }).strict();

/** The split ring's device indices (§2.7): free-running, 16 bits. */
const splitState = z.object({ lastAvail: z.number().int().min(0).max(0xffff), usedIdx: z.number().int().min(0).max(0xffff) }).strict();
/** The packed ring's device positions and wrap counters (§2.8.1). */
const packedState = z
  .object({ nextAvail: z.number().int().min(0), availWrap: z.boolean(), nextUsed: z.number().int().min(0), usedWrap: z.boolean() })
  .strict();
// #endregion vector-values

// #region vector-steps
const step = z.discriminatedUnion('op', [
  /** The driver makes a buffer available; expect the token it gets, or the error it meets. */
  z.object({ op: z.literal('driver.add'), buffers: z.array(buffer).min(1), indirect: z.boolean().optional(), expect: z.union([z.object({ id: u32 }).strict(), errorOutcome]).optional() }).strict(),
  /** Whether the driver must notify the device now. */
  z.object({ op: z.literal('driver.kick'), expect: z.boolean() }).strict(),
  /** The next used buffer the driver sees: its token and written length, null for none, or an error. */
  z.object({ op: z.literal('driver.poll'), expect: z.union([z.object({ id: u32, len: u32 }).strict(), z.null(), errorOutcome]) }).strict(),
  z.object({ op: z.literal('driver.interrupts'), enabled: z.boolean() }).strict(),
  /** The device takes the next chain: its buffers, nothing available, or the error that stops the queue. */
  z.object({
    op: z.literal('device.pop'),
    expect: z.union([
      z.object({ chain: z.object({ id: u32, descCount: u32.optional(), buffers: z.array(buffer) }).strict() }).strict(),
      z.object({ empty: z.literal(true) }).strict(),
      errorOutcome,
    ]),
  }).strict(),
  /**
   * The device returns a chain it popped (by its id) with the bytes it wrote. `len` may be any
   * 64-bit value: a length the used ring cannot carry must be refused, with nothing written.
   */
  z.object({ op: z.literal('device.push'), id: u32, len: z.union([u32, u64]), expect: z.object({ refused: z.literal(true) }).strict().optional() }).strict(),
  /** Whether the device must send a used buffer notification now. */
  z.object({ op: z.literal('device.notify'), expect: z.boolean() }).strict(),
  z.object({ op: z.literal('device.notifications'), enabled: z.boolean() }).strict(),
  /** Whether the queue has stopped and the device needs a reset, and, if so, for which error. */
  z.object({ op: z.literal('device.status'), expect: z.union([z.object({ needsReset: z.literal(false) }).strict(), z.object({ needsReset: z.literal(true), error: errorExpectation }).strict()]) }).strict(),
  /** Where the device stands on the ring now (split indices or packed positions). */
  z.object({ op: z.literal('device.state'), expect: z.union([splitState, packedState]) }).strict(),
  /** Guest memory written directly, as a driver (or a corrupting bug) would. */
  z.object({ op: z.literal('memory.write'), addr: u64, hex: hexBytesString }).strict(),
  /** Guest memory that must hold these bytes now, e.g. a used ring entry. */
  z.object({ op: z.literal('memory.expect'), addr: u64, hex: hexBytesString }).strict(),
]);
// #endregion vector-steps

// #region vector-case
export const vectorCase = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    /** Requirement IDs the case verifies. */
    requirements: z.array(z.string().regex(/^AVP-[A-Z][A-Z0-9]{1,9}-[1-9][0-9]*$/, 'a requirement ID such as AVP-VQ-3')).optional(),
    ring: z.enum(['split', 'packed']),
    queueSize: z.number().int().nonnegative(),
    features: z.array(z.enum(VECTOR_FEATURES)),
    /** Zero-filled regions of guest memory; addresses between them are holes. */
    memory: z.object({ regions: z.array(z.object({ base: u64, size: u32 }).strict()).min(1) }).strict(),
    /**
     * Initial contents, applied in order before the queue is created. `repeat` writes the bytes
     * that many times, each copy `stride` bytes after the last (default: the length of `hex`).
     */
    writes: z.array(z.object({ addr: u64, hex: hexBytesString, repeat: z.number().int().min(1).optional(), stride: u32.optional() }).strict()).optional(),
    queue: z.object({ desc: u64, driver: u64, device: u64 }).strict(),
    /**
     * Where the device starts instead of index 0 (split) or slot 0 with both wrap counters 1
     * (packed). With driver steps the driver starts there too, so the state must then be
     * quiescent: both split indices equal, or both packed positions equal.
     */
    start: z.union([splitState, packedState]).optional(),
    /** Guest memory the driver may use for indirect tables. */
    driverIndirectArea: z.object({ addr: u64, size: u32 }).strict().optional(),
    /** The longest chain the device accepts, if below the queue size. */
    deviceMaxChainLength: z.number().int().positive().optional(),
    /** What the device makes of the queue's layout when it is created: accepted, or refused with an error. */
    setup: z.object({ expect: z.union([z.object({ ok: z.literal(true) }).strict(), errorOutcome]) }).strict().optional(),
    steps: z.array(step),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.steps.length === 0 && !c.setup) ctx.addIssue({ code: 'custom', path: ['steps'], message: 'a case needs at least one step, or a setup expectation' });
    if (c.start && ('lastAvail' in c.start) !== (c.ring === 'split')) {
      ctx.addIssue({ code: 'custom', path: ['start'], message: `a ${c.ring} ring starts from ${c.ring === 'split' ? 'lastAvail and usedIdx' : 'nextAvail, availWrap, nextUsed and usedWrap'}` });
    }
    if (c.start && 'nextAvail' in c.start && (c.start.nextAvail >= c.queueSize || c.start.nextUsed >= c.queueSize)) {
      ctx.addIssue({ code: 'custom', path: ['start'], message: `packed positions must be slots below the queue size ${c.queueSize}` });
    }
    const quiescent = !c.start || ('lastAvail' in c.start ? c.start.lastAvail === c.start.usedIdx : c.start.nextAvail === c.start.nextUsed && c.start.availWrap === c.start.usedWrap);
    if (!quiescent && c.steps.some((s) => s.op.startsWith('driver.'))) {
      ctx.addIssue({ code: 'custom', path: ['start'], message: 'a case with driver steps needs a quiescent start (nothing in flight), since the driver starts there too' });
    }
  });

export const vectorFile = z
  .object({
    $schema: z.string().optional(),
    format: z.literal(VECTOR_FORMAT),
    version: z.literal(VECTOR_VERSION),
    description: z.string().optional(),
    cases: z.array(vectorCase).min(1),
  })
  .strict();
// #endregion vector-case

export type VectorFile = z.infer<typeof vectorFile>;
export type VectorCase = z.infer<typeof vectorCase>;
export type VectorStep = z.infer<typeof step>;
export type ErrorExpectation = z.infer<typeof errorExpectation>;

/** The JSON Schema of a vector file, for vendors' own tooling. */
export function vectorJsonSchema(): Record<string, unknown> {
  return { $id: 'urn:avp-spec:virtqueue-vectors:v2', title: 'AVP virtqueue conformance vectors, version 2', ...z.toJSONSchema(vectorFile, { unrepresentable: 'any' }) };
}
