// The transport conformance vector format, version 1: register accesses on a virtio-mmio or
// virtio-pci device, with the values reads must return and the error conditions the device
// lifecycle must record. Where the virtqueue and device formats start from a device already
// running, this one covers how it gets there: the status byte, feature negotiation, queue
// set-up, configuration reads while the device changes its configuration, and every refusal.
import { z } from 'zod';
import { LIFECYCLE_ERROR_CODES } from '../virtio/lifecycle/errors.ts';
import { hexBytesString, u32, u64 } from './vector-schema.ts';

export const TRANSPORT_VECTOR_FORMAT = 'avp-transport-vectors';
export const TRANSPORT_VECTOR_VERSION = 1;

// #region transport-vector-steps
/**
 * A register: for MMIO a name of §4.2.2 (Status, QueueSel, …); for PCI a field of the common
 * configuration structure of §4.1.4.3 (device_status, queue_select, …; `queue_desc.hi` for the
 * upper half of a 64-bit field) or `isr`; for both `config+N` (byte N of the device
 * configuration) or a raw offset "0x…" (MMIO register space, or PCI BAR 0).
 */
const register = z.string().min(1);
const width = z.union([z.literal(1), z.literal(2), z.literal(4)]);

const step = z.discriminatedUnion('op', [
  /** A driver read; `expect` is the value it must return. */
  z.object({ op: z.literal('read'), register, width: width.optional(), expect: u32 }).strict(),
  z.object({ op: z.literal('write'), register, value: u32, width: width.optional() }).strict(),
  /** An available buffer notification for a queue: QueueNotify (MMIO), the queue's notify address (PCI). */
  z.object({ op: z.literal('notify'), queue: z.number().int().min(0).max(0xffff) }).strict(),
  /** The device changes its own configuration bytes (a disk resized, a link gone down). */
  z.object({ op: z.literal('device.config'), offset: u32, hex: hexBytesString }).strict(),
  z.object({ op: z.literal('memory.write'), addr: u64, hex: hexBytesString }).strict(),
  z.object({ op: z.literal('memory.expect'), addr: u64, hex: hexBytesString }).strict(),
  /** The error conditions recorded since the previous `recorded` step (or the start), in order; [] for none. */
  z.object({ op: z.literal('recorded'), codes: z.array(z.enum(LIFECYCLE_ERROR_CODES)) }).strict(),
  /** Whether the device's interrupt is asserted now. */
  z.object({ op: z.literal('interrupt'), asserted: z.boolean() }).strict(),
]);
// #endregion transport-vector-steps

// #region transport-vector-case
export const transportVectorCase = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    requirements: z.array(z.string().regex(/^AVP-[A-Z][A-Z0-9]{1,9}-[1-9][0-9]*$/, 'a requirement ID such as AVP-LIFE-3')).optional(),
    transport: z.enum(['mmio', 'pci']),
    /** A device model of the registry (see the device vector format) and its options. */
    device: z.object({ model: z.string().min(1), options: z.record(z.string(), z.unknown()).optional() }).strict(),
    /** Guest memory; default one region of 64 KiB at 0. */
    memory: z.object({ regions: z.array(z.object({ base: u64, size: u32 }).strict()).min(1) }).strict().optional(),
    steps: z.array(step).min(1),
  })
  .strict();

export const transportVectorFile = z
  .object({
    $schema: z.string().optional(),
    format: z.literal(TRANSPORT_VECTOR_FORMAT),
    version: z.literal(TRANSPORT_VECTOR_VERSION),
    description: z.string().optional(),
    cases: z.array(transportVectorCase).min(1),
  })
  .strict();
// #endregion transport-vector-case

export type TransportVectorFile = z.infer<typeof transportVectorFile>;
export type TransportVectorCase = z.infer<typeof transportVectorCase>;
export type TransportVectorStep = z.infer<typeof step>;

export function transportVectorJsonSchema(): Record<string, unknown> {
  return { $id: 'urn:avp-spec:transport-vectors:v1', title: 'AVP transport conformance vectors, version 1', ...z.toJSONSchema(transportVectorFile) };
}
