// Model time for the RTC device. Nothing here reads a wall clock: the test or example owns a
// Timebase (the model's physical time, in nanoseconds) and moves it forward. On it sit the
// network's gPTP time (the grandmaster's TAI as IEEE 802.1AS delivers it to the host's port),
// the host's system clock disciplined from gPTP with a residual offset the test chooses, and the
// guest's hardware counter (the Arm virtual counter or the x86 TSC) that cross-timestamps use.

// #region timebase
export class Timebase {
  private t = 0n;
  private readonly listeners: (() => void)[] = [];

  /** Physical model time in nanoseconds since the timebase was made. */
  get ns(): bigint {
    return this.t;
  }

  advance(ns: bigint | number): void {
    const d = BigInt(ns);
    if (d < 0n) throw new RangeError('advance: a non-negative time in nanoseconds');
    this.t += d;
    for (const l of this.listeners) l();
  }

  /** Called after every advance (devices check their alarms). */
  onAdvance(l: () => void): void {
    this.listeners.push(l);
  }
}
// #endregion timebase

// #region gptp-time
/** The gPTP domain's time: TAI nanoseconds since 1970-01-01 00:00 TAI, as the grandmaster keeps it. */
export class GptpTime {
  readonly base: Timebase;
  /** The grandmaster's TAI when the timebase was at zero. */
  readonly taiAtZero: bigint;

  constructor(base: Timebase, taiAtZero: bigint) {
    this.base = base;
    this.taiAtZero = taiAtZero;
  }

  get ns(): bigint {
    return this.taiAtZero + this.base.ns;
  }
}
// #endregion gptp-time

export type SyncState = 'unsynchronized' | 'synchronized' | 'holdover';

// #region host-clock
/**
 * The host's TAI clock, disciplined from gPTP. While synchronized its offset from the gPTP time
 * is the servo's residual, which the test sets. When synchronization is lost the clock runs on
 * (holdover) and its offset grows at the drift rate from the moment of loss; its error bound is
 * the last residual plus that growth. Never synchronized, it has no bound at all.
 */
export class HostTaiClock {
  readonly gptp: GptpTime;
  private state: SyncState = 'unsynchronized';
  private residual = 0n;
  private lostAt = 0n;
  private driftPpb = 0n;

  constructor(gptp: GptpTime) {
    this.gptp = gptp;
  }

  get sync(): SyncState {
    return this.state;
  }

  /** The servo locked, or moved: the clock now reads the gPTP time plus `residualNs`. */
  discipline(residualNs: bigint | number): void {
    this.residual = BigInt(residualNs);
    this.state = 'synchronized';
  }

  /** Sync messages stopped: the clock runs free, drifting by `driftPpb` parts per billion. */
  loseSync(driftPpb: number): void {
    if (this.state === 'unsynchronized') return;
    if (this.state === 'synchronized') this.lostAt = this.gptp.base.ns;
    this.driftPpb = BigInt(Math.trunc(driftPpb));
    this.state = 'holdover';
  }

  /** The clock's offset from the gPTP time now, in nanoseconds. */
  get offsetNs(): bigint {
    if (this.state !== 'holdover') return this.residual;
    return this.residual + ((this.gptp.base.ns - this.lostAt) * this.driftPpb) / 1_000_000_000n;
  }

  /** What the host knows of its error: |offset| while synchronized or in holdover; null if it has never synchronized. */
  get errorBoundNs(): bigint | null {
    if (this.state === 'unsynchronized') return null;
    const o = this.offsetNs;
    return o < 0n ? -o : o;
  }

  /** TAI nanoseconds since 1970-01-01 00:00 TAI, as the host reads its clock. */
  get ns(): bigint {
    return this.gptp.ns + this.offsetNs;
  }
}
// #endregion host-clock

// #region hw-counter
/** The counter a guest reads without a trap: CNTVCT_EL0 (Arm) or the TSC (x86), as the guest sees it. */
export class GuestCounter {
  readonly base: Timebase;
  /** A VIRTIO_RTC_COUNTER_* identifier. */
  readonly id: number;
  readonly hz: bigint;
  /** The guest's counter offset (CNTVOFF on Arm, the TSC offset on x86). */
  readonly offset: bigint;

  constructor(base: Timebase, opts: { id: number; hz: bigint | number; offset?: bigint | number }) {
    this.base = base;
    this.id = opts.id;
    this.hz = BigInt(opts.hz);
    this.offset = BigInt(opts.offset ?? 0);
    if (this.hz <= 0n) throw new RangeError('hz: a positive frequency');
  }

  /** What the guest would read now. */
  get cycles(): bigint {
    return this.offset + (this.base.ns * this.hz) / 1_000_000_000n;
  }

  /** One counter period in nanoseconds, rounded up. */
  get periodNs(): bigint {
    return (1_000_000_000n + this.hz - 1n) / this.hz;
  }
}
// #endregion hw-counter
