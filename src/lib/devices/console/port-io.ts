// Data on a port (VIRTIO 1.4 §5.3.6): the guest's output from its transmitq to the host, and
// host input into its receiveq. Nothing the driver does here can stop the device: a buffer in
// the wrong direction, or for a port that is not open, is returned unused and counted; only a
// broken ring, which the queue layer reports, makes the device need a reset.
import { ChainWriter, readChain } from '../../virtio/chain-io.ts';
import { type DescriptorChain, readableBuffers, totalLength, writableBuffers } from '../../virtio/chain.ts';
import type { VirtqError } from '../../virtio/errors.ts';
import type { GuestMemory } from '../../virtio/memory.ts';
import type { DeviceQueue } from '../../virtio/queue.ts';
import type { ConsoleInput } from './host.ts';
import type { Port } from './port.ts';
import { portReceiveQueue } from './queues.ts';
import { type ConsoleStats, countDrop } from './stats.ts';

/** What the data path needs from a live device. */
export interface PortIoContext {
  readonly mem: GuestMemory;
  readonly stats: ConsoleStats;
  queue(index: number): DeviceQueue | null;
  notifyUsed(index: number): void;
  needsReset(error: VirtqError): void;
  /** The guest's side of the port takes data now. */
  isOpen(port: Port): boolean;
  /** Host input may reach the port (the platform's input gate). */
  admits(port: Port): boolean;
}

// #region transmit
/**
 * A buffer from a port's transmitq. It always goes back at once, used length 0: Linux's console
 * spins until its output buffer is used, so a device that held it would hang the guest.
 */
export function serveTransmit(ctx: PortIoContext, port: Port | undefined, chain: DescriptorChain): number {
  if (writableBuffers(chain).length > 0) return countDrop(ctx.stats, 'writable-in-transmitq'); // §5.3.6.1
  if (!port || !ctx.isOpen(port)) return countDrop(ctx.stats, 'port-not-open');
  const out = port.host?.output;
  if (!out) return countDrop(ctx.stats, 'host-closed');
  const data = readChain(ctx.mem, chain);
  port.txBytes += data.length;
  if (data.length > 0) {
    try {
      out.write(data);
    } catch {
      // A failing log must not reach the guest: the output is lost, the guest carries on.
    }
  }
  return 0;
}
// #endregion transmit

// #region receive
/** Moves host input into the port's receive buffers, in order, while there are both. */
export function pumpInput(ctx: PortIoContext, port: Port): void {
  const index = portReceiveQueue(port.id);
  const q = ctx.queue(index);
  const input = port.host?.input;
  if (!q || !input || !ctx.isOpen(port)) return;
  if (!ctx.admits(port)) {
    discardInput(ctx, input); // refused input is not kept for a later, admitted session
    return;
  }
  let pushed = false;
  for (;;) {
    let chain = port.heldRx;
    port.heldRx = null;
    if (!chain) {
      const r = q.pop();
      if (r.kind === 'empty') break;
      if (r.kind === 'error') {
        ctx.needsReset(r.error);
        return;
      }
      chain = r.chain;
    }
    const room = totalLength(writableBuffers(chain));
    let used = 0;
    if (readableBuffers(chain).length > 0) used = countDrop(ctx.stats, 'readable-in-receiveq'); // §5.3.6.1
    else if (room === 0) used = countDrop(ctx.stats, 'empty-receive-buffer');
    else {
      const data = readInput(input, room);
      if (data.length === 0) {
        port.heldRx = chain; // filled first when the host calls inputReady()
        break;
      }
      const w = new ChainWriter(ctx.mem, chain);
      w.write(data);
      port.rxBytes += w.written;
      used = w.written;
    }
    q.push(chain, used);
    pushed = true;
  }
  if (pushed && q.needsNotification()) ctx.notifyUsed(index);
}
// #endregion receive

/** A port is unplugged: a receive buffer the device held goes back to the driver unused. */
export function releaseHeldRx(ctx: PortIoContext, port: Port): void {
  const chain = port.heldRx;
  port.heldRx = null;
  const index = portReceiveQueue(port.id);
  const q = ctx.queue(index);
  if (!chain || !q) return;
  q.push(chain, countDrop(ctx.stats, 'port-removed'));
  if (q.needsNotification()) ctx.notifyUsed(index);
}

/** A source that throws or returns something else than bytes has nothing to give. */
function readInput(input: ConsoleInput, max: number): Uint8Array {
  try {
    const d = input.read(max);
    return d instanceof Uint8Array ? d.subarray(0, max) : new Uint8Array(0);
  } catch {
    return new Uint8Array(0);
  }
}

const DISCARD_CHUNK = 4096;
const DISCARD_ROUNDS = 256; // bounded: a source that never runs dry cannot hold the device

function discardInput(ctx: PortIoContext, input: ConsoleInput): void {
  for (let i = 0; i < DISCARD_ROUNDS; i++) {
    const d = readInput(input, DISCARD_CHUNK);
    if (d.length === 0) return;
    ctx.stats.inputRefused += d.length;
  }
}
