// The far end of the network model's virtual switch, for a guest to ping: one IPv4 address
// that answers ARP requests and ICMP echo requests, and counts what it saw. Nothing else.
import type { NetBackend, NetEndpoint, RxResult } from '../devices/net/index.ts';

function parseMac(s: string): Uint8Array {
  const parts = s.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) throw new RangeError(`MAC address "${s}": six hex bytes separated by colons`);
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

function parseIp(s: string): Uint8Array {
  const parts = s.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw new RangeError(`IPv4 address "${s}": four decimal bytes`);
  return Uint8Array.from(parts.map(Number));
}

/** The ones'-complement sum of RFC 1071 over `b`. */
export function inetChecksum(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += (b[i] << 8) | b[i + 1];
  if (b.length & 1) sum += b[b.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

const eq = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

export class NetResponder implements NetEndpoint {
  readonly mac: Uint8Array;
  readonly ip: Uint8Array;
  readonly stats = { arpReplies: 0, echoReplies: 0, ignored: 0 };
  private backend: NetBackend | null = null;

  constructor(opts: { mac: string; ip: string }) {
    this.mac = parseMac(opts.mac);
    this.ip = parseIp(opts.ip);
  }

  connect(backend: NetBackend | null): void {
    this.backend = backend;
  }

  receive(frame: Uint8Array): RxResult {
    const reply = this.answer(frame);
    if (reply) {
      // Answered after the transmit that carried the request has finished.
      queueMicrotask(() => this.backend?.send(reply));
    } else this.stats.ignored++;
    return 'delivered';
  }

  // #region answer
  /** The reply to one frame, or null if it asks nothing of this address. */
  answer(f: Uint8Array): Uint8Array | null {
    if (f.length < 14) return null;
    const type = (f[12] << 8) | f[13];
    if (type === 0x0806 && f.length >= 42) {
      const op = (f[20] << 8) | f[21];
      if (op !== 1 || !eq(f.subarray(38, 42), this.ip)) return null;
      const r = new Uint8Array(42);
      r.set(f.subarray(6, 12), 0); // to the asker
      r.set(this.mac, 6);
      r.set([0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 2], 12); // ARP reply, Ethernet/IPv4
      r.set(this.mac, 22);
      r.set(this.ip, 28);
      r.set(f.subarray(22, 32), 32); // the asker's MAC and IP
      this.stats.arpReplies++;
      return r;
    }
    if (type === 0x0800 && f.length >= 34) {
      const ihl = (f[14] & 0x0f) * 4;
      const total = (f[16] << 8) | f[17];
      if ((f[14] >> 4) !== 4 || ihl < 20 || 14 + total > f.length || total < ihl + 8) return null;
      if (f[23] !== 1 || !eq(f.subarray(30, 34), this.ip)) return null; // ICMP to us
      const icmp = 14 + ihl;
      if (f[icmp] !== 8) return null; // echo request
      const r = f.slice(0, 14 + total);
      r.set(f.subarray(6, 12), 0);
      r.set(this.mac, 6);
      r.set(f.subarray(30, 34), 26); // source: us
      r.set(f.subarray(26, 30), 30); // destination: the asker
      r[22] = 64; // TTL
      r[24] = r[25] = 0;
      const ipSum = inetChecksum(r.subarray(14, 14 + ihl));
      r[24] = ipSum >> 8;
      r[25] = ipSum & 0xff;
      r[icmp] = 0; // echo reply
      r[icmp + 2] = r[icmp + 3] = 0;
      const sum = inetChecksum(r.subarray(icmp, 14 + total));
      r[icmp + 2] = sum >> 8;
      r[icmp + 3] = sum & 0xff;
      this.stats.echoReplies++;
      return r;
    }
    return null;
  }
  // #endregion answer
}
