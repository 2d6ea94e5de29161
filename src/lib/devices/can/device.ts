// The CAN device, VIRTIO 1.4 §5.20 (device ID 36): one CAN controller of a guest, attached to
// a virtual CAN bus. Txq (0) carries frames to the bus, Rxq (1) brings frames from it, and
// Controlq (2) starts and stops the controller. Nothing the driver writes is trusted: a bad
// transmit or control request is answered VIRTIO_CAN_RESULT_NOT_OK and counted; only a broken
// ring, which the queue layer reports, puts the device into DEVICE_NEEDS_RESET.
import { ChainWriter } from '../../virtio/chain-io.ts';
import type { DescriptorChain } from '../../virtio/chain.ts';
import { type DeviceEnv, VirtioDevice } from '../../virtio/device.ts';
import { bit, type Features, featureSet, hasFeature } from '../../virtio/feature-bits.ts';
import { chainBytes, DeviceBudget, type DeviceBudgetOptions } from '../budget.ts';
import type { CanEndpoint, CanNode, CanRxResult } from './bus.ts';
import { CAN_CFG_STATUS, CAN_CONFIG_SIZE, VIRTIO_CAN_S_CTRL_BUSOFF } from './config.ts';
import {
  canDependencyError,
  maxSduLength,
  VIRTIO_CAN_F_CAN_CLASSIC,
  VIRTIO_CAN_F_CAN_FD,
  VIRTIO_CAN_F_LATE_TX_ACK,
  VIRTIO_CAN_F_RTR_FRAMES,
} from './features.ts';
import type { CanFrame } from './frame.ts';
import {
  CAN_CTRL_REQUEST_SIZE,
  CAN_MSG_HEADER_SIZE,
  VIRTIO_CAN_RESULT_NOT_OK,
  VIRTIO_CAN_RESULT_OK,
  VIRTIO_CAN_SET_CTRL_MODE_START,
  VIRTIO_CAN_SET_CTRL_MODE_STOP,
} from './message.ts';
import { CanRxPath, type CanRxOverflowPolicy, type RxContext } from './rx.ts';
import { CAN_TX_REJECT_REASONS, type CanTxRejectReason, parseTxRequest, readPrefix } from './tx.ts';
import { type CanDeviceStats, newCanStats } from './stats.ts';

export const VIRTIO_ID_CAN = 36;
export const CAN_TXQ = 0;
export const CAN_RXQ = 1;
export const CAN_CONTROLQ = 2;

export type CanControllerState = 'stopped' | 'started';

export interface CanDeviceOptions {
  /** Offer VIRTIO_CAN_F_CAN_FD when the bus carries CAN FD; default true. */
  readonly fd?: boolean;
  /** Offer VIRTIO_CAN_F_RTR_FRAMES; default true. */
  readonly rtr?: boolean;
  /** Offer VIRTIO_CAN_F_LATE_TX_ACK; default true. */
  readonly lateTxAck?: boolean;
  /** Frames held while the driver has no receive buffer; default 32 (0: drop at once). */
  readonly rxBacklog?: number;
  /** Which frame a full backlog drops; default 'drop-oldest', right for cyclic signals. */
  readonly rxOverflow?: CanRxOverflowPolicy;
  /** The largest size a queue may have; default 256. */
  readonly maxQueueSize?: number;
  /** This guest's budget on its Txq (chapter Safety): default none. Controlq is never budgeted. */
  readonly budget?: DeviceBudgetOptions | null;
}

export class CanDevice extends VirtioDevice implements CanEndpoint {
  readonly deviceId = VIRTIO_ID_CAN;
  readonly name = 'virtio-can';
  readonly stats: CanDeviceStats = newCanStats(CAN_TX_REJECT_REASONS);
  /** The guest's budget on Txq, or null (the default): no limit. */
  readonly budget: DeviceBudget | null;
  private readonly opts: Required<CanDeviceOptions>;
  private readonly rx: CanRxPath;
  private node: CanNode | null = null;
  private ctrl: CanControllerState = 'stopped';
  /** The platform keeps the bus-off condition: a START is refused until it is released. */
  private busOffHeld = false;
  /** Transmit requests waiting for the bus (VIRTIO_CAN_F_LATE_TX_ACK), by chain. */
  private readonly held = new Set<DescriptorChain>();
  /** Bumped by every reset: a bus callback from before a reset must not touch the rings. */
  private epoch = 0;

  constructor(opts: CanDeviceOptions = {}) {
    super(CAN_CONFIG_SIZE);
    this.opts = { fd: true, rtr: true, lateTxAck: true, rxBacklog: 32, rxOverflow: 'drop-oldest', maxQueueSize: 256, budget: null, ...opts };
    this.budget = this.opts.budget ? new DeviceBudget(this.opts.budget) : null;
    const m = this.opts.maxQueueSize;
    if (!Number.isInteger(m) || m < 1 || m > 32768) throw new RangeError('maxQueueSize: 1..32768');
    this.rx = new CanRxPath(this.opts.rxBacklog, this.opts.rxOverflow);
  }

  // #region offered-features
  /** Classic frames always; CAN FD only where the bus carries it; RTR and late TX ack as configured. */
  protected deviceFeatures(): Features {
    let f = featureSet(VIRTIO_CAN_F_CAN_CLASSIC);
    if (this.opts.fd && this.node?.bus.fdCapable) f |= bit(VIRTIO_CAN_F_CAN_FD);
    if (this.opts.rtr) f |= bit(VIRTIO_CAN_F_RTR_FRAMES);
    if (this.opts.lateTxAck) f |= bit(VIRTIO_CAN_F_LATE_TX_ACK);
    return f;
  }

  checkFeatures(accepted: Features): string | null {
    return super.checkFeatures(accepted) ?? canDependencyError(accepted);
  }
  // #endregion offered-features

  /** Txq, Rxq, Controlq (§5.20.2). */
  queueCount(_features: Features): number {
    return 3;
  }

  maxQueueSize(_index: number): number {
    return this.opts.maxQueueSize;
  }

  // ---- Host side ----

  connect(node: CanNode | null): void {
    this.node = node;
  }

  get controller(): CanControllerState {
    return this.ctrl;
  }

  get busOff(): boolean {
    return (this.config.u16(CAN_CFG_STATUS) & VIRTIO_CAN_S_CTRL_BUSOFF) !== 0;
  }

  /** Frames held for a driver that has no receive buffer. */
  get rxBacklog(): number {
    return this.rx.held;
  }

  /** Receive buffers and frames as the receive path saw them. */
  get rxStats(): Readonly<CanRxPath['stats']> {
    return this.rx.stats;
  }

  // #region bus-off
  /**
   * The platform's hook for a bus-off condition (§5.20.5.4): the controller stops on its own,
   * every frame waiting for the bus is answered NOT_OK, and the driver learns of it through
   * the BUSOFF status bit and a configuration change notification. With `hold`, the condition
   * persists (a broken wire) and a START is refused until releaseBusOff(). Only a started
   * controller takes part in the bus, so only it can go bus-off; returns whether it did.
   */
  enterBusOff(opts: { hold?: boolean } = {}): boolean {
    if (!this.active || this.ctrl !== 'started') return false;
    this.ctrl = 'stopped';
    this.busOffHeld = opts.hold ?? false;
    this.stats.busOffEvents++;
    this.config.update((c) => c.setU16(CAN_CFG_STATUS, c.u16(CAN_CFG_STATUS) | VIRTIO_CAN_S_CTRL_BUSOFF));
    this.node?.cancelPending();
    return true;
  }

  /** The bus-off condition is gone: the driver's next START may succeed. */
  releaseBusOff(): void {
    this.busOffHeld = false;
  }
  // #endregion bus-off

  // ---- Lifecycle ----

  protected onActivate(_env: DeviceEnv): void {
    this.ctrl = 'stopped'; // §5.20.5.1: the controller starts out STOPPED
  }

  protected onReset(): void {
    this.budget?.reset();
    this.epoch++;
    this.held.clear();
    this.node?.cancelPending(); // nothing queued by the old driver reaches the bus
    this.rx.clear();
    this.ctrl = 'stopped';
    // The driver re-reads the configuration while it initializes: no notification.
    this.config.setU16(CAN_CFG_STATUS, 0);
  }

  queueNotify(index: number): void {
    if (!this.active) return;
    if (index === CAN_TXQ) {
      if (!this.budget || this.budget.admitNotification(CAN_TXQ)) this.serveTxQueue();
    }
    else if (index === CAN_RXQ) this.rx.flush(this.rxContext());
    else if (index === CAN_CONTROLQ) this.drain(CAN_CONTROLQ, (chain) => this.serveControl(chain));
  }

  // ---- Transmit (§5.20.5.2) ----

  /** The model clock moved: serves Txq if the budget held it back, as far as tokens allow now. */
  budgetTick(): void {
    if (this.active && this.budget?.held.includes(CAN_TXQ)) this.serveTxQueue();
  }

  // #region budgeted-txq
  /** Takes transmit requests while the budget (if any) allows; the rest waits in the ring. */
  private serveTxQueue(): void {
    const q = this.queue(CAN_TXQ);
    if (!q) return;
    const budget = this.budget;
    let pushed = false;
    for (;;) {
      if (budget && !budget.mayTake(CAN_TXQ)) break;
      const r = q.pop();
      if (r.kind === 'empty') {
        budget?.emptied(CAN_TXQ);
        break;
      }
      if (r.kind === 'error') {
        this.env.needsReset(r.error);
        return;
      }
      budget?.charge(CAN_TXQ, chainBytes(r.chain));
      const len = this.serveTx(r.chain);
      if (len !== null) {
        q.push(r.chain, len);
        pushed = true;
      }
    }
    if (pushed && q.needsNotification()) this.env.notifyUsed(CAN_TXQ);
  }
  // #endregion budgeted-txq

  // #region transmit
  /** The used length for a request answered now, or null if it waits for the bus. */
  private serveTx(chain: DescriptorChain): number | null {
    const w = new ChainWriter(this.env.mem, chain);
    if (w.remaining < 1) {
      this.stats.txUnanswerable++; // no room for the result: nothing is sent
      return 0;
    }
    const reject = (reason: CanTxRejectReason): number => {
      this.stats.txRejected[reason]++;
      this.stats.lastTxReject = reason;
      w.write(new Uint8Array([VIRTIO_CAN_RESULT_NOT_OK]));
      return w.written;
    };
    const parsed = parseTxRequest(readPrefix(this.env.mem, chain, CAN_MSG_HEADER_SIZE + 64), this.env.features);
    if (!parsed.ok) return reject(parsed.reason);
    // §5.20.5.2: a controller in an invalid state sends nothing.
    if (this.busOff) return reject('bus-off');
    if (this.ctrl !== 'started') return reject('stopped');
    if (!this.node) return reject('bus-refused');
    const late = hasFeature(this.env.features, VIRTIO_CAN_F_LATE_TX_ACK);
    const epoch = this.epoch;
    if (late) this.held.add(chain);
    const sent = this.node.send(parsed.frame, (onWire) => this.txDone(epoch, late ? chain : null, onWire));
    if (sent !== 'queued') {
      this.held.delete(chain);
      return reject(sent === 'not-owned' ? 'not-owned' : 'bus-refused');
    }
    if (late) return null; // answered by txDone once the frame is on the wire (or cancelled)
    // Without late TX ack the request is used once the frame is scheduled (§5.20.5.2).
    this.stats.txAccepted++;
    w.write(new Uint8Array([VIRTIO_CAN_RESULT_OK]));
    return w.written;
  }

  /** The bus sent (or dropped) a frame of this device; with late TX ack, its request is answered now. */
  private txDone(epoch: number, chain: DescriptorChain | null, onWire: boolean): void {
    if (epoch !== this.epoch) return; // queued before a reset: the rings are gone
    if (onWire) this.stats.txOnWire++;
    else this.stats.txCancelled++;
    if (!chain || !this.held.delete(chain)) return;
    if (onWire) this.stats.txAccepted++;
    const q = this.queue(CAN_TXQ);
    if (!q) return;
    // Held until the bus sent the frame: the driver may have unmapped the buffer by now (an IOMMU fault).
    const done = this.serveHeld(() => {
      const w = new ChainWriter(this.env.mem, chain);
      w.write(new Uint8Array([onWire ? VIRTIO_CAN_RESULT_OK : VIRTIO_CAN_RESULT_NOT_OK]));
      q.push(chain, w.written);
    });
    if (done && q.needsNotification()) this.env.notifyUsed(CAN_TXQ);
  }
  // #endregion transmit

  // ---- Receive (§5.20.5.3) ----

  // #region receive
  /** A frame from the bus for this guest. Never throws. */
  receive(frame: CanFrame, _from: CanNode): CanRxResult {
    const drop = (reason: Exclude<CanRxResult, 'delivered' | 'queued'>): CanRxResult => {
      this.stats.rxDropped[reason]++;
      return reason;
    };
    if (!this.active) return drop('inactive');
    if (this.ctrl !== 'started') return drop('stopped');
    // Only frame types the driver accepted reach it: it could not make sense of the others.
    const f = this.env.features;
    if (frame.fd ? !hasFeature(f, VIRTIO_CAN_F_CAN_FD) : !hasFeature(f, VIRTIO_CAN_F_CAN_CLASSIC)) return drop('not-negotiated');
    if (frame.rtr && !hasFeature(f, VIRTIO_CAN_F_RTR_FRAMES)) return drop('not-negotiated');
    const r = this.rx.offer(frame, this.rxContext());
    // Overruns were counted as they happened (the dropped frame may be an older one).
    if (r === 'queue-error') return drop(r);
    return r;
  }
  // #endregion receive

  private rxContext(): RxContext {
    return {
      mem: this.env.mem,
      queue: this.queue(CAN_RXQ),
      maxSdu: maxSduLength(this.env.features),
      notify: () => this.env.notifyUsed(CAN_RXQ),
      needsReset: (e) => this.env.needsReset(e),
      overrun: () => this.stats.rxDropped.overrun++,
    };
  }

  // ---- Control (§5.20.5.1) ----

  // #region control
  private serveControl(chain: DescriptorChain): number {
    const w = new ChainWriter(this.env.mem, chain);
    if (w.remaining < 1) {
      this.stats.ctrlUnanswerable++; // no room for the result: nothing is done
      return 0;
    }
    const bytes = readPrefix(this.env.mem, chain, CAN_CTRL_REQUEST_SIZE);
    const type = bytes.length < CAN_CTRL_REQUEST_SIZE ? null : bytes[0] | (bytes[1] << 8);
    let ok = false;
    if (type === VIRTIO_CAN_SET_CTRL_MODE_START) ok = this.start();
    else if (type === VIRTIO_CAN_SET_CTRL_MODE_STOP) ok = this.stop();
    if (ok) this.stats.ctrlOk++;
    else this.stats.ctrlNotOk++;
    // The transition is complete (and the status updated) before the request is used.
    w.write(new Uint8Array([ok ? VIRTIO_CAN_RESULT_OK : VIRTIO_CAN_RESULT_NOT_OK]));
    return w.written;
  }

  private start(): boolean {
    if (this.busOffHeld) return false; // the bus-off condition persists: the controller cannot join
    if (this.busOff) this.config.update((c) => c.setU16(CAN_CFG_STATUS, c.u16(CAN_CFG_STATUS) & ~VIRTIO_CAN_S_CTRL_BUSOFF));
    this.ctrl = 'started';
    return true;
  }

  private stop(): boolean {
    // §5.20.5.1: frames still waiting for the bus are cancelled and answered NOT_OK.
    this.ctrl = 'stopped';
    this.node?.cancelPending();
    return true;
  }
  // #endregion control
}
