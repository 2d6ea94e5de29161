// Which CIDs may open connections to which (VIRTIO 1.4 §5.10.6.2 leaves this to the platform).
// The hypervisor decides, from static configuration: guests reach the host's services (all of
// them, or only the ports listed for them), and two guests talk only if a rule names the pair,
// and then only to the ports the rule lists. Everything else is refused like a closed port.
import { toCid, VMADDR_CID_HOST } from './config.ts';

export interface GuestLinkRule {
  /** The two guests; the rule works both ways. */
  readonly a: bigint | number;
  readonly b: bigint | number;
  /** Ports either may connect to on the other; all ports if absent. */
  readonly ports?: readonly number[];
}

export interface HostAccessRule {
  readonly cid: bigint | number;
  /** Host ports this guest may connect to. */
  readonly ports: readonly number[];
}

export interface VsockPolicyOptions {
  /** Guest pairs that may talk; none by default. */
  readonly guestLinks?: readonly GuestLinkRule[];
  /** If given, a guest reaches only the host ports listed for it (a guest not listed: none). */
  readonly hostAccess?: readonly HostAccessRule[];
}

// #region policy
export class VsockPolicy {
  private readonly links: { a: bigint; b: bigint; ports: ReadonlySet<number> | null }[];
  private readonly hostAccess: Map<bigint, ReadonlySet<number>> | null;

  constructor(opts: VsockPolicyOptions = {}) {
    this.links = (opts.guestLinks ?? []).map((r) => ({ a: toCid(r.a), b: toCid(r.b), ports: r.ports ? new Set(r.ports) : null }));
    this.hostAccess = opts.hostAccess ? new Map(opts.hostAccess.map((r) => [toCid(r.cid), new Set(r.ports)])) : null;
  }

  /** Whether a REQUEST from `src` to `dst`:`dstPort` may go through. */
  allowsConnect(src: bigint, dst: bigint, dstPort: number): boolean {
    if (src === VMADDR_CID_HOST) return true; // the host reaches its guests
    if (dst === VMADDR_CID_HOST) return this.hostAccess === null || (this.hostAccess.get(src)?.has(dstPort) ?? false);
    // Guest to guest: deny unless a rule names both (an allow-list).
    return this.links.some((r) => ((r.a === src && r.b === dst) || (r.a === dst && r.b === src)) && (r.ports === null || r.ports.has(dstPort)));
  }
}
// #endregion policy
