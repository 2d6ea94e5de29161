// Automatic receive steering with several queue pairs (VIRTIO 1.4 §5.1.9.5, VIRTIO_NET_F_MQ):
// once the driver sent a packet of a flow on transmitqX, replies of that flow go to receiveqX;
// a flow the device has not seen goes to a queue chosen by a hash of its key. Only queues
// 1..virtqueue_pairs are ever chosen.
import { ETH_P_8021Q, ETH_P_IPV4, ETH_P_IPV6 } from './ethernet.ts';

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');

// #region flow-key
/**
 * A flow as seen from one end: IP addresses and ports for TCP and UDP over IPv4 (unfragmented)
 * or IPv6 (no extension headers), otherwise the two MAC addresses. `reverse` gives the key
 * of the opposite direction, so a transmitted packet names the flow its replies belong to.
 */
export function flowKey(frame: Uint8Array, reverse = false): string {
  let at = 12;
  if (frame.length >= 16 && ((frame[12] << 8) | frame[13]) === ETH_P_8021Q) at = 16;
  const type = frame.length >= at + 2 ? (frame[at] << 8) | frame[at + 1] : -1;
  const l3 = at + 2;
  let src: string | null = null;
  let dst: string | null = null;
  if (type === ETH_P_IPV4 && frame.length >= l3 + 20) {
    const ihl = (frame[l3] & 0x0f) * 4;
    const proto = frame[l3 + 9];
    const fragmented = (((frame[l3 + 6] << 8) | frame[l3 + 7]) & 0x3fff) !== 0;
    if ((proto === 6 || proto === 17) && !fragmented && ihl >= 20 && frame.length >= l3 + ihl + 4) {
      const l4 = l3 + ihl;
      src = `${hex(frame.subarray(l3 + 12, l3 + 16))}:${(frame[l4] << 8) | frame[l4 + 1]}/${proto}`;
      dst = `${hex(frame.subarray(l3 + 16, l3 + 20))}:${(frame[l4 + 2] << 8) | frame[l4 + 3]}/${proto}`;
    }
  } else if (type === ETH_P_IPV6 && frame.length >= l3 + 44) {
    const proto = frame[l3 + 6];
    if (proto === 6 || proto === 17) {
      const l4 = l3 + 40;
      src = `${hex(frame.subarray(l3 + 8, l3 + 24))}:${(frame[l4] << 8) | frame[l4 + 1]}/${proto}`;
      dst = `${hex(frame.subarray(l3 + 24, l3 + 40))}:${(frame[l4 + 2] << 8) | frame[l4 + 3]}/${proto}`;
    }
  }
  if (src === null || dst === null) {
    src = hex(frame.subarray(6, 12));
    dst = hex(frame.subarray(0, 6));
  }
  return reverse ? `${dst}>${src}` : `${src}>${dst}`;
}
// #endregion flow-key

/** FNV-1a over the key's characters: a fixed, platform-independent spread for unseen flows. */
export function keyHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

// #region flow-table
export class FlowTable {
  private readonly flows = new Map<string, number>();
  private readonly capacity: number;

  constructor(capacity = 1024) {
    this.capacity = capacity;
  }

  /** The driver sent `frame` on transmit queue pair `pair` (0-based). */
  learn(frame: Uint8Array, pair: number): void {
    const key = flowKey(frame, true);
    this.flows.delete(key); // re-insert: the Map's order is then least recently used first
    this.flows.set(key, pair);
    if (this.flows.size > this.capacity) this.flows.delete(this.flows.keys().next().value as string);
  }

  /** The 0-based pair an incoming frame goes to, among the first `activePairs`. */
  select(frame: Uint8Array, activePairs: number): number {
    if (activePairs <= 1) return 0;
    const key = flowKey(frame);
    const known = this.flows.get(key);
    if (known !== undefined && known < activePairs) return known;
    return keyHash(key) % activePairs;
  }

  clear(): void {
    this.flows.clear();
  }
}
// #endregion flow-table
