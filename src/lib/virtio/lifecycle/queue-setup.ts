// What the driver tells the device about one virtqueue before enabling it (§2.6, §4.2.3.2,
// §4.1.5.1): its size and the guest addresses of its three areas. The checks run when the
// driver enables the queue, so a queue the device accepts is one it can use safely.
import { isVirtqError } from '../errors.ts';
import type { GuestMemory } from '../memory.ts';
import { checkPackedLayout, isValidPackedQueueSize, PACKED_QUEUE_SIZE_MAX } from '../packed/layout.ts';
import type { RingType } from '../queue-factory.ts';
import type { QueueConfig } from '../queue.ts';
import { checkSplitLayout, isValidSplitQueueSize } from '../split/layout.ts';
import type { LifecycleErrorCode } from './errors.ts';

/** The driver-written state of one queue, as both transports present it. */
export interface QueueSetup {
  /** Entries; starts at the device's maximum (PCI shows it there, §4.1.4.3). */
  size: number;
  /** Guest addresses of the descriptor, driver and device areas (64-bit registers). */
  desc: bigint;
  driver: bigint;
  device: bigint;
  /** QueueReady / queue_enable. */
  ready: boolean;
}

export type QueueArea = 'desc' | 'driver' | 'device';

export function freshQueue(maxSize: number): QueueSetup {
  return { size: maxSize, desc: 0n, driver: 0n, device: 0n, ready: false };
}

// #region queue-size-check
/** Why `size` is not a size the driver may choose, or null (§2.7, §2.8.10.1, §4.2.2.2). */
export function queueSizeProblem(size: number, max: number, ring: RingType): string | null {
  if (!Number.isInteger(size) || size < 1) return `queue size ${size}: a queue has at least one entry`;
  if (size > max) return `queue size ${size} exceeds the device's maximum ${max}`;
  if (ring === 'split' && !isValidSplitQueueSize(size)) return `queue size ${size} is not a power of 2, as a split ring needs`;
  if (ring === 'packed' && !isValidPackedQueueSize(size)) return `queue size ${size} exceeds ${PACKED_QUEUE_SIZE_MAX}`;
  return null;
}
// #endregion queue-size-check

/** The queue as the ring code takes it; null if an address does not fit a JavaScript number. */
export function queueConfigOf(q: QueueSetup): QueueConfig | null {
  const n = (a: bigint) => (a <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(a) : null);
  const descAddr = n(q.desc);
  const driverAddr = n(q.driver);
  const deviceAddr = n(q.device);
  if (descAddr === null || driverAddr === null || deviceAddr === null) return null;
  return { size: q.size, descAddr, driverAddr, deviceAddr };
}

// #region queue-enable-check
/**
 * Checks a queue the driver is enabling: a valid size for the ring and each area wholly in
 * guest memory at its alignment. Returns the code and message of the first problem, or null.
 */
export function queueEnableProblem(mem: GuestMemory, q: QueueSetup, max: number, ring: RingType): { code: LifecycleErrorCode; message: string } | null {
  const sizeProblem = queueSizeProblem(q.size, max, ring);
  if (sizeProblem) return { code: 'QUEUE_SIZE_INVALID', message: sizeProblem };
  const config = queueConfigOf(q);
  if (!config) return { code: 'QUEUE_LAYOUT_INVALID', message: 'a queue area lies above the end of guest memory' };
  try {
    if (ring === 'packed') checkPackedLayout(mem, config);
    else checkSplitLayout(mem, config);
  } catch (e) {
    if (!isVirtqError(e)) throw e;
    return { code: 'QUEUE_LAYOUT_INVALID', message: e.message };
  }
  return null;
}
// #endregion queue-enable-check
