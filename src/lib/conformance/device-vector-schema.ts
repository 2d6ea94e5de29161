// The device conformance vector format, version 1. Where the virtqueue format checks rings,
// this one checks a device model's requests: a case names a device and its options, and lists
// requests (device-readable parts, device-writable lengths) with the bytes the device must
// write back. It runs on both ring layouts unless a case
// says otherwise, so one vector checks a device on split and packed rings alike.
import { z } from 'zod';

export const DEVICE_VECTOR_FORMAT = 'avp-device-vectors';
export const DEVICE_VECTOR_VERSION = 1;

// #region device-vector-values
/** Bytes as hex digits; spaces and "_" may group them. */
const hex = z.string().regex(/^([0-9a-fA-F]{2}|[\s_])*$/, 'pairs of hex digits, optionally grouped by spaces or "_"');

/** A device-readable part: hex bytes, or one byte repeated (e.g. a 512-byte sector of 0x5a). */
const outPart = z.union([hex, z.object({ repeat: hex, times: z.number().int().positive().max(1 << 20) }).strict()]);

/** What the device must have written: exactly `data`, or data that starts or ends as given. */
const written = z
  .object({
    len: z.number().int().nonnegative(),
    data: hex.optional(),
    prefix: hex.optional(),
    suffix: hex.optional(),
  })
  .strict();
// #endregion device-vector-values

// #region device-vector-steps
const step = z.discriminatedUnion('op', [
  /**
   * The driver offers one request on `queue` and notifies. `expect`: the completion that must
   * follow at once, or `pending` if the device must hold it (e.g. a receive buffer).
   */
  z
    .object({
      op: z.literal('request'),
      queue: z.number().int().nonnegative(),
      out: z.array(outPart),
      in: z.array(z.number().int().positive()),
      indirect: z.boolean().optional(),
      expect: z.union([written, z.object({ pending: z.literal(true) }).strict()]),
    })
    .strict()
    .refine((r) => r.out.length + r.in.length > 0, { message: 'a request needs at least one buffer in "out" or "in"', path: ['in'] }),
  /** Completions of earlier pending requests on `queue`, in the order the device returns them. */
  z.object({ op: z.literal('poll'), queue: z.number().int().nonnegative(), expect: z.array(written) }).strict(),
  /** Bytes of the device's configuration space. */
  z.object({ op: z.literal('config'), offset: z.number().int().nonnegative(), expect: hex }).strict(),
]);
// #endregion device-vector-steps

export const deviceVectorCase = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    requirements: z.array(z.string().regex(/^AVP-[A-Z][A-Z0-9]{1,9}-[1-9][0-9]*$/, 'a requirement ID such as AVP-BLK-3')).optional(),
    /** A device model of the registry (virtio-blk, virtio-rng, ...) and its options. */
    device: z.object({ model: z.string().min(1), options: z.record(z.string(), z.unknown()).optional() }).strict(),
    /** Ring layouts to run on; default both. */
    rings: z.array(z.enum(['split', 'packed'])).min(1).optional(),
    /** Feature bits the driver declines, by number (e.g. 9 to run a block device without FLUSH). */
    decline: z.array(z.number().int().min(0).max(127)).optional(),
    steps: z.array(step).min(1),
  })
  .strict();

export const deviceVectorFile = z
  .object({
    $schema: z.string().optional(),
    format: z.literal(DEVICE_VECTOR_FORMAT),
    version: z.literal(DEVICE_VECTOR_VERSION),
    description: z.string().optional(),
    cases: z.array(deviceVectorCase).min(1),
  })
  .strict();

export type DeviceVectorFile = z.infer<typeof deviceVectorFile>;
export type DeviceVectorCase = z.infer<typeof deviceVectorCase>;
export type DeviceVectorStep = z.infer<typeof step>;
export type WrittenExpectation = z.infer<typeof written>;

export function deviceVectorJsonSchema(): Record<string, unknown> {
  return { $id: 'urn:avp-spec:device-vectors:v1', title: 'AVP device conformance vectors, version 1', ...z.toJSONSchema(deviceVectorFile) };
}
