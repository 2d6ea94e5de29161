// What every register-level guest driver here keeps once initialization is done: the guest
// memory it may use, the features agreed, and its requests in flight. The MMIO and PCI drivers
// extend it with their own probe, register mapping and interrupt handling.
import { type DriverTransport, initializeDevice, type InitOptions, type InitResult } from './driver-init.ts';
import type { Completion, DriverRequests } from './driver-requests.ts';
import type { Features } from './feature-bits.ts';
import type { GuestMemory } from './memory.ts';
import type { DriverQueue } from './queue.ts';
import { RangeAllocator } from './range-allocator.ts';

export abstract class TransportDriver {
  readonly mem: GuestMemory;
  protected readonly heap: RangeAllocator;
  protected requests: DriverRequests | null = null;
  private negotiated: Features = 0n;

  /** `heap` is the guest memory this driver may use for rings and buffers. */
  constructor(mem: GuestMemory, heap: { addr: number; size: number }) {
    this.mem = mem;
    this.heap = new RangeAllocator(heap, 16);
  }

  /** The features agreed at FEATURES_OK; 0 before initialization. */
  get features(): Features {
    return this.negotiated;
  }

  get queues(): readonly DriverQueue[] {
    return this.requests?.queues ?? [];
  }

  /** Offers one request on queue `q`; notifies the device if it wants that (§2.3). */
  submit(q: number, out: readonly Uint8Array[], inLens: readonly number[], opts: { indirect?: boolean } = {}): number {
    return this.live().submit(q, out, inLens, opts);
  }

  /** Completions on queue `q` so far, without waiting for an interrupt. */
  poll(q: number): Completion[] {
    return this.live().poll(q);
  }

  /** Runs §3.1.1 over the transport's operations and keeps what it yields. */
  protected initialize(ops: DriverTransport, opts: InitOptions): InitResult {
    const r = initializeDevice(ops, this.mem, this.heap, opts);
    this.requests = r.ok ? r.requests : null;
    this.negotiated = r.ok ? r.features : 0n;
    return r;
  }

  /** Forgets the device's state on the driver side after a reset. */
  protected forget(): void {
    this.requests = null;
    this.negotiated = 0n;
  }

  protected live(): DriverRequests {
    if (!this.requests) throw new Error('the driver has not initialized the device (call init())');
    return this.requests;
  }
}
