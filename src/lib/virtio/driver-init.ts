// The driver's side of device initialization (VIRTIO 1.4 §3.1.1), written once against the few
// operations every transport provides. The MMIO driver maps them to registers (§4.2.3), the PCI
// driver to fields of the common configuration structure (§4.1.5); the order of the steps, the
// feature choice and the queue layout are the same for both.
import { DriverRequests } from './driver-requests.ts';
import type { Features } from './feature-bits.ts';
import { FEATURE_WORDS, featureWord, selectFeatures, type FeatureChoice } from './lifecycle/features.ts';
import type { GuestMemory } from './memory.ts';
import { createDriverQueue, ringAreas, ringTypeOf } from './queue-factory.ts';
import type { DriverQueue, QueueConfig } from './queue.ts';
import type { RangeAllocator } from './range-allocator.ts';
import { ACKNOWLEDGE, DEVICE_NEEDS_RESET, DRIVER, DRIVER_OK, FAILED, FEATURES_OK } from './status.ts';

// #region driver-transport
/** What the initialization needs of a transport, in the vocabulary of §3.1.1 and §4. */
export interface DriverTransport {
  readStatus(): number;
  writeStatus(value: number): void;
  /** Bits 32·sel to 32·sel+31 of the device's features. */
  readDeviceFeatures(sel: number): number;
  writeDriverFeatures(sel: number, value: number): void;
  /** Selects queue `index` for the queue operations below. */
  selectQueue(index: number): void;
  /** The selected queue's largest size; 0 if the device has no such queue. */
  queueSizeMax(): number;
  queueEnabled(): boolean;
  /** Size and area addresses of the selected queue, then its enable. */
  writeQueue(config: QueueConfig): void;
  enableQueue(): void;
  /** Sends an available buffer notification for queue `index`. */
  notify(index: number): void;
}
// #endregion driver-transport

export interface InitOptions extends FeatureChoice {
  /** Entries per queue; default the smaller of 64 and the device's maximum. */
  readonly queueSize?: number;
  /** Bytes of guest memory for each queue's indirect tables; default 4 KiB. */
  readonly indirectBytes?: number;
}

export type InitResult =
  | { readonly ok: true; readonly features: Features; readonly requests: DriverRequests }
  | { readonly ok: false; readonly reason: string; readonly status: number };

// #region initialize-device
/** Steps 1 to 8 of §3.1.1. On any refusal the driver sets FAILED and says why. */
export function initializeDevice(t: DriverTransport, mem: GuestMemory, heap: RangeAllocator, opts: InitOptions = {}): InitResult {
  const addStatus = (bits: number) => t.writeStatus(t.readStatus() | bits);
  const fail = (reason: string): InitResult => {
    addStatus(FAILED);
    return { ok: false, reason, status: t.readStatus() };
  };
  t.writeStatus(0); // 1. reset
  addStatus(ACKNOWLEDGE); // 2. the guest noticed the device
  addStatus(DRIVER); // 3. and has a driver for it

  let offered = 0n; // 4. read the offer, choose, write the choice
  for (let sel = 0; sel < FEATURE_WORDS; sel++) offered |= BigInt(t.readDeviceFeatures(sel)) << BigInt(32 * sel);
  const choice = selectFeatures(offered, opts);
  if (!choice.ok) return fail(choice.reason);
  for (let sel = 0; sel < FEATURE_WORDS; sel++) t.writeDriverFeatures(sel, featureWord(choice.accepted, sel));
  addStatus(FEATURES_OK); // 5.
  if (!(t.readStatus() & FEATURES_OK)) return fail('the device refused the feature set (FEATURES_OK not kept)'); // 6.

  const queues: DriverQueue[] = []; // 7. device-specific set-up: the queues
  for (let index = 0; ; index++) {
    t.selectQueue(index);
    const max = t.queueSizeMax();
    if (max === 0) break;
    if (t.queueEnabled()) return fail(`queue ${index} is already in use`);
    const q = layOutQueue(mem, heap, choice.accepted, max, opts);
    if (!q) return fail(`queue ${index}: guest memory exhausted`);
    t.writeQueue(q.config);
    t.enableQueue();
    if (!t.queueEnabled()) return fail(`queue ${index}: the device did not accept the queue`);
    queues.push(q.queue);
  }
  addStatus(DRIVER_OK); // 8. the device is live
  const status = t.readStatus();
  if (status & DEVICE_NEEDS_RESET) return { ok: false, reason: 'the device needs a reset after DRIVER_OK', status };
  return { ok: true, features: choice.accepted, requests: new DriverRequests(mem, heap, queues, (i) => t.notify(i)) };
}
// #endregion initialize-device

// #region lay-out-queue
/** Allocates and zeroes a queue's three areas and its indirect-table space. */
function layOutQueue(mem: GuestMemory, heap: RangeAllocator, features: Features, max: number, opts: InitOptions): { config: QueueConfig; queue: DriverQueue } | null {
  const ring = ringTypeOf(features);
  let size = Math.min(opts.queueSize ?? 64, max);
  if (ring === 'split') size = 2 ** Math.floor(Math.log2(size)); // split sizes are powers of 2 (§2.7)
  const areas = ringAreas(ring, size);
  const indirectBytes = opts.indirectBytes ?? 4096;
  const sizes = [areas.desc.bytes, areas.driver.bytes, areas.device.bytes, indirectBytes];
  const addrs: number[] = [];
  for (const bytes of sizes) {
    const addr = heap.alloc(bytes);
    if (addr === null) {
      addrs.forEach((a, i) => heap.release(a, sizes[i]));
      return null;
    }
    mem.write(addr, new Uint8Array(bytes)); // §4.2.3.2 (MMIO), §4.1.5.1.3 (PCI): the driver zeroes the queue memory
    addrs.push(addr);
  }
  const config: QueueConfig = { size, descAddr: addrs[0], driverAddr: addrs[1], deviceAddr: addrs[2] };
  return { config, queue: createDriverQueue(mem, config, features, { indirectArea: { addr: addrs[3], size: indirectBytes } }) };
}
// #endregion lay-out-queue
