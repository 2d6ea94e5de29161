// The virtio-iommu device, VIRTIO 1.4 §5.13 (device ID 23): a request queue on which the
// driver attaches endpoints to domains and maps IOVA ranges, and an event queue on which the
// device reports DMA faults. The same object is the platform IOMMU the core's DMA path asks
// (DmaTranslation): a device model behind it, with VIRTIO_F_ACCESS_PLATFORM, reaches exactly
// what this device maps for its endpoint, and every access it is refused comes back here as a
// fault event for the driver. Nothing in a request is trusted: a bad one is answered with its
// status, or handed back unwritten when it has no room for one; only a broken ring puts the
// device into DEVICE_NEEDS_RESET.
import { type DescriptorChain, readableBuffers, totalLength, writableBuffers } from '../../virtio/chain.ts';
import { ChainWriter, readChainPrefix } from '../../virtio/chain-io.ts';
import { VirtioDevice } from '../../virtio/device.ts';
import type { DmaFault, DmaMapping, DmaTranslation } from '../../virtio/dma.ts';
import { deliverBacklog } from '../../virtio/event-delivery.ts';
import { bit, type Features, hasFeature } from '../../virtio/feature-bits.ts';
import type { GuestMemory } from '../../virtio/memory.ts';
import { ModelClock } from '../../virtio/model-clock.ts';
import {
  IOMMU_CFG_BYPASS,
  IOMMU_CFG_DOMAIN_END,
  IOMMU_CFG_DOMAIN_START,
  IOMMU_CFG_INPUT_END,
  IOMMU_CFG_INPUT_START,
  IOMMU_CFG_PAGE_SIZE_MASK,
  IOMMU_CFG_PROBE_SIZE,
  IOMMU_CONFIG_SIZE,
  IOMMU_DEFAULT_INPUT_END,
  IOMMU_DEFAULT_PAGE_SIZE_MASK,
  type IommuEndpointSpec,
  type IommuLimits,
  limitsError,
} from './config.ts';
import { AddressSpaces, type RequestFlags } from './domains.ts';
import { DEFAULT_FAULT_BUDGET, type EndpointFaults, type FaultBudget, FaultLimiter, type FaultStats, zeroFaultStats } from './faults.ts';
import {
  encodeFault,
  encodeResvMem,
  type FaultReport,
  IOMMU_FAULT_SIZE,
  IOMMU_HEAD_SIZE,
  IOMMU_REQ_SIZE,
  IOMMU_RESV_MEM_SIZE,
  IOMMU_TAIL_SIZE,
  STATUS_NAMES,
  VIRTIO_IOMMU_ATTACH_F_BYPASS,
  VIRTIO_IOMMU_F_BYPASS,
  VIRTIO_IOMMU_F_BYPASS_CONFIG,
  VIRTIO_IOMMU_F_DOMAIN_RANGE,
  VIRTIO_IOMMU_F_INPUT_RANGE,
  VIRTIO_IOMMU_F_MAP_UNMAP,
  VIRTIO_IOMMU_F_MMIO,
  VIRTIO_IOMMU_F_PROBE,
  VIRTIO_IOMMU_FAULT_F_ADDRESS,
  VIRTIO_IOMMU_FAULT_F_READ,
  VIRTIO_IOMMU_FAULT_F_WRITE,
  VIRTIO_IOMMU_FAULT_R_DOMAIN,
  VIRTIO_IOMMU_FAULT_R_MAPPING,
  VIRTIO_IOMMU_FAULT_R_UNKNOWN,
  VIRTIO_IOMMU_MAP_F_MMIO,
  VIRTIO_IOMMU_MAP_F_READ,
  VIRTIO_IOMMU_MAP_F_WRITE,
  VIRTIO_IOMMU_S_INVAL,
  VIRTIO_IOMMU_S_NOENT,
  VIRTIO_IOMMU_S_OK,
  VIRTIO_IOMMU_S_UNSUPP,
  VIRTIO_IOMMU_T_ATTACH,
  VIRTIO_IOMMU_T_DETACH,
  VIRTIO_IOMMU_T_MAP,
  VIRTIO_IOMMU_T_PROBE,
  VIRTIO_IOMMU_T_UNMAP,
} from './protocol.ts';

export const VIRTIO_ID_IOMMU = 23;
export const IOMMU_REQUESTQ = 0;
export const IOMMU_EVENTQ = 1;

export interface IommuDeviceOptions {
  /** The guest's memory: every MAP must name guest-physical addresses inside it. */
  readonly memory: GuestMemory;
  /** The endpoints the platform puts behind this IOMMU: this guest's devices, and no others. */
  readonly endpoints: readonly IommuEndpointSpec[];
  /** Default 4 KiB granule with 2 MiB and 1 GiB hints. */
  readonly pageSizeMask?: bigint;
  /** IOVAs the device translates, inclusive; default [0, 2^48 - 1]. */
  readonly inputRange?: { readonly start: number; readonly end: number };
  /** Domain IDs, inclusive; default [1, 255] (domain 0 is never valid). */
  readonly domainRange?: { readonly start: number; readonly end: number };
  /** Bytes of PROBE properties; default 128. */
  readonly probeSize?: number;
  /** Mappings in all domains together; default 4096. */
  readonly maxMappings?: number;
  /**
   * How unattached endpoints may bypass: 'config' offers VIRTIO_IOMMU_F_BYPASS_CONFIG (the
   * default), 'legacy' offers the superseded VIRTIO_IOMMU_F_BYPASS instead, 'none' neither.
   */
  readonly bypassFeature?: 'config' | 'legacy' | 'none';
  /** The `bypass` field at system reset; default false (the AVP's value). */
  readonly bootBypass?: boolean;
  /** Offer VIRTIO_IOMMU_F_PROBE; default true. */
  readonly probe?: boolean;
  /** Fault events per endpoint; default a burst of 8, 100 per second of model time. */
  readonly faultBudget?: FaultBudget;
  /** Fault reports kept while the driver has no event buffer; default 64. */
  readonly eventBacklog?: number;
  /** The model clock the fault budget runs on; default a clock of its own. */
  readonly clock?: ModelClock;
}

/** Requests answered, by status name, and requests handed back without a status. */
export interface IommuRequestStats {
  readonly status: Record<string, number>;
  /** Device-readable part shorter than the 4-byte head: handed back, used length 0. */
  noHead: number;
  /** Device-writable part shorter than the 4-byte tail: handed back, used length 0. */
  noTail: number;
  /** A type VIRTIO does not define: handed back, used length 0. */
  unknownType: number;
  /** PROBE while VIRTIO_IOMMU_F_PROBE is not offered: handed back, used length 0. */
  probeNotOffered: number;
  /** Driver writes to the configuration the device did not apply. */
  configWritesIgnored: number;
}

export class IommuDevice extends VirtioDevice implements DmaTranslation {
  readonly deviceId = VIRTIO_ID_IOMMU;
  readonly name = 'virtio-iommu';
  readonly spaces: AddressSpaces;
  readonly clock: ModelClock;
  readonly faultStats: FaultStats = zeroFaultStats();
  readonly endpointFaults = new Map<number, EndpointFaults>();
  readonly requests: IommuRequestStats;
  private readonly limiter: FaultLimiter;
  private readonly backlogLimit: number;
  private readonly backlog: FaultReport[] = [];
  private readonly watchers = new Map<number, (() => void)[]>();
  private readonly bypassFeature: 'config' | 'legacy' | 'none';
  private readonly bootBypass: number;
  private readonly probeOffered: boolean;
  /** The features the driver accepted at FEATURES_OK; 0 before, and after a reset. */
  private negotiated: Features = 0n;
  private suspended = false;

  constructor(opts: IommuDeviceOptions) {
    super(IOMMU_CONFIG_SIZE);
    this.probeOffered = opts.probe ?? true;
    const limits: IommuLimits = {
      pageSizeMask: opts.pageSizeMask ?? IOMMU_DEFAULT_PAGE_SIZE_MASK,
      inputRange: opts.inputRange ?? { start: 0, end: IOMMU_DEFAULT_INPUT_END },
      domainRange: opts.domainRange ?? { start: 1, end: 255 },
      probeSize: this.probeOffered ? (opts.probeSize ?? 128) : 0,
      maxMappings: opts.maxMappings ?? 4096,
    };
    const err = limitsError(limits, opts.endpoints, this.probeOffered);
    if (err) throw new RangeError(`virtio-iommu: ${err}`);
    this.spaces = new AddressSpaces(opts.memory, limits, opts.endpoints, (eps) => this.tell(eps));
    this.bypassFeature = opts.bypassFeature ?? 'config';
    this.bootBypass = this.bypassFeature === 'config' && opts.bootBypass ? 1 : 0;
    this.clock = opts.clock ?? new ModelClock();
    this.limiter = new FaultLimiter(this.clock, opts.faultBudget ?? DEFAULT_FAULT_BUDGET);
    this.backlogLimit = opts.eventBacklog ?? 64;
    if (!Number.isInteger(this.backlogLimit) || this.backlogLimit < 0) throw new RangeError('virtio-iommu: eventBacklog of 0 or more');
    this.requests = { status: Object.fromEntries(Object.values(STATUS_NAMES).map((n) => [n, 0])), noHead: 0, noTail: 0, unknownType: 0, probeNotOffered: 0, configWritesIgnored: 0 };
    // #region config-init
    this.config.setU64(IOMMU_CFG_PAGE_SIZE_MASK, limits.pageSizeMask);
    this.config.setU64(IOMMU_CFG_INPUT_START, BigInt(limits.inputRange.start));
    this.config.setU64(IOMMU_CFG_INPUT_END, BigInt(limits.inputRange.end));
    this.config.setU32(IOMMU_CFG_DOMAIN_START, limits.domainRange.start);
    this.config.setU32(IOMMU_CFG_DOMAIN_END, limits.domainRange.end);
    this.config.setU32(IOMMU_CFG_PROBE_SIZE, limits.probeSize);
    this.config.setU8(IOMMU_CFG_BYPASS, this.bootBypass);
    // #endregion config-init
  }

  // #region features
  protected deviceFeatures(): Features {
    let f = bit(VIRTIO_IOMMU_F_INPUT_RANGE) | bit(VIRTIO_IOMMU_F_DOMAIN_RANGE) | bit(VIRTIO_IOMMU_F_MAP_UNMAP);
    if (this.probeOffered) f |= bit(VIRTIO_IOMMU_F_PROBE);
    if (this.bypassFeature === 'config') f |= bit(VIRTIO_IOMMU_F_BYPASS_CONFIG);
    if (this.bypassFeature === 'legacy') f |= bit(VIRTIO_IOMMU_F_BYPASS);
    // VIRTIO_IOMMU_F_MMIO is not offered: MSI doorbells are RESV_MEM_T_MSI regions instead.
    return f;
  }
  // #endregion features

  checkFeatures(accepted: Features): string | null {
    const refused = super.checkFeatures(accepted);
    if (refused !== null) return refused;
    const before = this.unattachedBypass();
    this.negotiated = accepted;
    if (this.unattachedBypass() !== before) this.tellAll();
    return null;
  }

  queueCount(): number {
    return 2;
  }

  protected onReset(): void {
    // §5.13.5: no endpoint stays attached. The bypass field keeps its value (§5.13.4.2).
    this.spaces.reset();
    this.faultStats.discardedAtReset += this.backlog.length;
    this.backlog.length = 0;
    this.limiter.refill();
    this.negotiated = 0n;
    this.suspended = false;
    this.tellAll();
  }

  /** A reset of the whole system: the bypass field returns to its boot value, then a device reset. */
  systemReset(): void {
    this.config.setU8(IOMMU_CFG_BYPASS, this.bootBypass);
    this.reset();
  }

  suspend(): void {
    this.suspended = true;
  }

  resume(): void {
    this.suspended = false;
    this.deliver();
  }

  // #region write-config
  /**
   * Only `bypass` is the driver's to write, and only once VIRTIO_IOMMU_F_BYPASS_CONFIG is
   * negotiated; a value other than 0 or 1, or a write anywhere else, is ignored and counted.
   */
  writeConfig(offset: number, data: Uint8Array): void {
    const at = IOMMU_CFG_BYPASS - offset;
    // Bytes before `bypass` are read-only fields; the three after it are reserved.
    if (offset < IOMMU_CFG_BYPASS) this.requests.configWritesIgnored++;
    if (at < 0 || at >= data.length) return;
    const v = data[at];
    if (!hasFeature(this.negotiated, VIRTIO_IOMMU_F_BYPASS_CONFIG) || (v !== 0 && v !== 1)) {
      this.requests.configWritesIgnored++;
      return;
    }
    if (this.config.u8(IOMMU_CFG_BYPASS) === v) return;
    this.config.setU8(IOMMU_CFG_BYPASS, v);
    this.tellAll();
  }
  // #endregion write-config

  // #region bypass-rule
  /**
   * §5.13.6: whether an endpoint attached to no domain bypasses the IOMMU. With
   * VIRTIO_IOMMU_F_BYPASS_CONFIG offered, the `bypass` field decides, whether or not the driver
   * accepted the feature; with VIRTIO_IOMMU_F_BYPASS, it bypasses once that is negotiated.
   * Otherwise it reaches nothing.
   */
  unattachedBypass(): boolean {
    if (this.bypassFeature === 'config') return this.config.u8(IOMMU_CFG_BYPASS) === 1;
    if (this.bypassFeature === 'legacy') return hasFeature(this.negotiated, VIRTIO_IOMMU_F_BYPASS);
    return false;
  }
  // #endregion bypass-rule

  // ---- DmaTranslation: what the core's device models see ----

  mappings(endpoint: number): readonly DmaMapping[] | 'bypass' {
    return this.spaces.view(endpoint, this.unattachedBypass());
  }

  watch(endpoint: number, changed: () => void): void {
    this.watchers.set(endpoint, [...(this.watchers.get(endpoint) ?? []), changed]);
  }

  private tell(endpoints: Iterable<number>): void {
    for (const e of [...endpoints]) for (const w of this.watchers.get(e) ?? []) w();
  }

  private tellAll(): void {
    this.tell(this.watchers.keys());
  }

  // #region fault
  /**
   * A DMA access of `f.endpoint` that the translation refused (the core's TranslatedMemory
   * reports it). It becomes a fault report on the event queue: reason DOMAIN for an endpoint
   * attached to no domain, MAPPING for one whose domain does not map the address for that
   * access, UNKNOWN for one in bypass (an address outside guest memory). A report over the
   * endpoint's budget, or beyond a full backlog, is counted instead.
   */
  fault(f: DmaFault): void {
    const state = this.spaces.stateOf(f.endpoint);
    if (state === 'unknown') {
      this.faultStats.unknownEndpoint++;
      return;
    }
    const counts = this.endpointFaults.get(f.endpoint) ?? { faults: 0, rateLimited: 0 };
    this.endpointFaults.set(f.endpoint, counts);
    counts.faults++;
    const bypassing = state === 'bypass-domain' || (state === 'unattached' && this.unattachedBypass());
    const reason = bypassing ? VIRTIO_IOMMU_FAULT_R_UNKNOWN : state === 'unattached' ? VIRTIO_IOMMU_FAULT_R_DOMAIN : VIRTIO_IOMMU_FAULT_R_MAPPING;
    if (!this.limiter.take(f.endpoint)) {
      counts.rateLimited++;
      this.faultStats.rateLimited++;
      return;
    }
    if (this.backlog.length >= this.backlogLimit) {
      this.faultStats.dropped++;
      return;
    }
    const access = f.write ? VIRTIO_IOMMU_FAULT_F_WRITE : VIRTIO_IOMMU_FAULT_F_READ;
    this.backlog.push({ reason, flags: access | VIRTIO_IOMMU_FAULT_F_ADDRESS, endpoint: f.endpoint, address: f.address });
    this.deliver();
  }
  // #endregion fault

  /** Fault reports waiting for event buffers. */
  get pendingFaults(): number {
    return this.backlog.length;
  }

  // #region deliver
  /** Writes waiting reports into the driver's event buffers, oldest first, one per buffer. */
  private deliver(): void {
    if (!this.active || this.suspended || this.backlog.length === 0) return;
    const q = this.queue(IOMMU_EVENTQ);
    if (!q) return;
    const { pushed, error } = deliverBacklog(this.env.mem, q, this.backlog, {
      // Never split over buffers (§5.13.6.9.2): a smaller one goes back unused, the report waits.
      fits: (chain) => totalLength(writableBuffers(chain)) >= IOMMU_FAULT_SIZE,
      encode: encodeFault,
      delivered: () => this.faultStats.reported++,
      rejected: () => this.faultStats.smallBuffers++,
    });
    if (error) return this.env.needsReset(error);
    if (pushed && q.needsNotification()) this.env.notifyUsed(IOMMU_EVENTQ);
  }
  // #endregion deliver

  queueNotify(index: number): void {
    if (!this.active) return;
    if (index === IOMMU_REQUESTQ) this.drain(IOMMU_REQUESTQ, (chain) => this.serve(chain));
    else if (index === IOMMU_EVENTQ) this.deliver();
  }

  // #region serve
  /** One request: the readable head and fields, then the writable tail (after the properties of a PROBE). */
  private serve(chain: DescriptorChain): number {
    const readable = totalLength(readableBuffers(chain));
    const writable = totalLength(writableBuffers(chain));
    if (readable < IOMMU_HEAD_SIZE) return this.unanswered('noHead');
    if (writable < IOMMU_TAIL_SIZE) return this.unanswered('noTail');
    const req = readChainPrefix(this.env.mem, chain, IOMMU_REQ_SIZE[VIRTIO_IOMMU_T_PROBE]);
    const type = req[0];
    const size = IOMMU_REQ_SIZE[type];
    if (size === undefined) return this.unanswered('unknownType');
    if (type === VIRTIO_IOMMU_T_PROBE && !this.probeOffered) return this.unanswered('probeNotOffered');
    const reply = new Uint8Array(writable);
    const status = readable < size ? VIRTIO_IOMMU_S_INVAL : this.execute(type, new DataView(req.buffer, req.byteOffset, req.length), reply);
    // The tail is the last four bytes of the writable part, where a driver looks for it.
    reply[writable - IOMMU_TAIL_SIZE] = status;
    this.requests.status[STATUS_NAMES[status]]++;
    const w = new ChainWriter(this.env.mem, chain);
    w.write(reply);
    return w.written;
  }

  private unanswered(why: 'noHead' | 'noTail' | 'unknownType' | 'probeNotOffered'): number {
    this.requests[why]++;
    return 0;
  }
  // #endregion serve

  // #region execute
  private execute(type: number, v: DataView, reply: Uint8Array): number {
    const features = this.env.features;
    // Flags the device recognises: ATTACH_F_BYPASS only with BYPASS_CONFIG, MAP_F_MMIO only with MMIO.
    const known: RequestFlags = {
      attach: hasFeature(features, VIRTIO_IOMMU_F_BYPASS_CONFIG) ? VIRTIO_IOMMU_ATTACH_F_BYPASS : 0,
      map: VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE | (hasFeature(features, VIRTIO_IOMMU_F_MMIO) ? VIRTIO_IOMMU_MAP_F_MMIO : 0),
    };
    const mapUnmap = hasFeature(features, VIRTIO_IOMMU_F_MAP_UNMAP);
    switch (type) {
      case VIRTIO_IOMMU_T_ATTACH:
        return this.spaces.attach(v.getUint32(4, true), v.getUint32(8, true), v.getUint32(12, true), v.getUint32(16, true), known);
      case VIRTIO_IOMMU_T_DETACH:
        return this.spaces.detach(v.getUint32(4, true), v.getUint32(8, true)); // reserved ignored (§5.13.6.4.2)
      case VIRTIO_IOMMU_T_MAP:
        if (!mapUnmap) return VIRTIO_IOMMU_S_UNSUPP;
        return this.spaces.map(v.getUint32(4, true), v.getBigUint64(8, true), v.getBigUint64(16, true), v.getBigUint64(24, true), v.getUint32(32, true), known);
      case VIRTIO_IOMMU_T_UNMAP:
        if (!mapUnmap) return VIRTIO_IOMMU_S_UNSUPP;
        if (v.getUint32(24, true) !== 0) return VIRTIO_IOMMU_S_INVAL; // reserved: refused, nothing removed
        return this.spaces.unmap(v.getUint32(4, true), v.getBigUint64(8, true), v.getBigUint64(16, true));
      default:
        return this.probe(v.getUint32(4, true), reply, hasFeature(features, VIRTIO_IOMMU_F_PROBE));
    }
  }
  // #endregion execute

  // #region probe
  /** PROBE (§5.13.6.7): the endpoint's RESV_MEM properties in the first probe_size bytes, zeros after. */
  private probe(endpoint: number, reply: Uint8Array, negotiated: boolean): number {
    if (!negotiated) return VIRTIO_IOMMU_S_UNSUPP;
    const regions = this.spaces.reservedOf(endpoint);
    if (regions === null) return VIRTIO_IOMMU_S_NOENT;
    const probeSize = this.config.u32(IOMMU_CFG_PROBE_SIZE);
    if (reply.length < probeSize + IOMMU_TAIL_SIZE) return VIRTIO_IOMMU_S_INVAL; // no room: no property written
    regions.forEach((r, i) => reply.set(encodeResvMem(r), i * IOMMU_RESV_MEM_SIZE));
    return VIRTIO_IOMMU_S_OK;
  }
  // #endregion probe
}
