// The GPIO device, VIRTIO 1.4 §5.18 (device ID 41), as one guest's view of a physical
// controller (controller.ts). The guest sees the controller's numbering, so a line's number
// matches the schematic and the device tree, but only the lines the platform's table gives it
// are named in its gpio-names block and answer its messages: a message for any other line
// gets VIRTIO_GPIO_STATUS_ERR and value 0, and never touches the line. Requests are answered at
// once and in order. With VIRTIO_GPIO_F_IRQ, interrupts reach the guest through its eventq:
// one buffer per line unmasks it, and returning that buffer (VALID) masks it again (§5.18.7).
import { type DescriptorChain, readableBuffers, totalLength, writableBuffers } from '../../virtio/chain.ts';
import { ChainWriter, readChain } from '../../virtio/chain-io.ts';
import { type DeviceEnv, VirtioDevice } from '../../virtio/device.ts';
import { bit, type Features, hasFeature } from '../../virtio/feature-bits.ts';
import type { GpioAccess, GpioController } from './controller.ts';
import * as P from './protocol.ts';

// #region gpio-failures
/** Why the device answered VIRTIO_GPIO_STATUS_ERR, or INVALID on the eventq. */
export type GpioFailure =
  | 'bad-length' //           the request is not exactly 8 device-readable bytes
  | 'short-response' //       fewer device-writable bytes than the response needs
  | 'unknown-type' //         a message type §5.18.6 does not define
  | 'bad-line' //             gpio at or past ngpio
  | 'not-owned' //            the platform's table gives the line to another guest, or to none
  | 'read-only' //            a reader tried to drive the line or make it an output
  | 'bad-value' //            a value the message does not define (or nonzero where it must be 0)
  | 'no-names' //             GET_LINE_NAMES on a device with gpio_names_size 0
  | 'irq-not-negotiated' //   SET_IRQ_TYPE without VIRTIO_GPIO_F_IRQ (§5.18.6.8)
  | 'irq-on-output' //        SET_IRQ_TYPE on an output line, or an output on a line with its interrupt enabled
  | 'irq-type-change' //      a new trigger type without disabling the old one first (§5.18.6.8)
  | 'bad-event-buffer' //     an eventq buffer that is not 2 readable bytes and at least 1 writable
  | 'event-not-enabled' //    an eventq buffer for a line whose interrupt is disabled (§5.18.6.6)
  | 'event-duplicate'; //     a second eventq buffer for a line that already has one (§5.18.7.2)
// #endregion gpio-failures

/** A guest's interrupt state for one line. */
interface LineIrq {
  type: number;
  /** An edge seen while masked (§5.18.6.9: edges are latched, levels are not). */
  latched: boolean;
  /** The eventq buffer that unmasks the line, held until an interrupt or a disable. */
  buffer: DescriptorChain | null;
}

export interface GpioStats {
  ok: number;
  readonly failures: Map<GpioFailure, number>;
  interruptsDelivered: number;
  /** eventq buffers returned INVALID (disabled, never enabled, bad line, not owned, duplicate). */
  buffersReturned: number;
}

export interface GpioDeviceOptions {
  readonly controller: GpioController;
  readonly guest: string;
  /** Offer VIRTIO_GPIO_F_IRQ; default true. */
  readonly irq?: boolean;
}

export class GpioDevice extends VirtioDevice {
  readonly deviceId = P.VIRTIO_ID_GPIO;
  readonly name = 'virtio-gpio';
  readonly controller: GpioController;
  readonly guest: string;
  readonly stats: GpioStats = { ok: 0, failures: new Map(), interruptsDelivered: 0, buffersReturned: 0 };
  /** The gpio-names block this guest sees: only its own lines are named. */
  readonly names: Uint8Array;
  private readonly offersIrq: boolean;
  private irqNegotiated = false;
  private irq: LineIrq[];
  /** Levels last seen per line, for edges. */
  private last: (0 | 1)[];

  constructor(opts: GpioDeviceOptions) {
    super(P.GPIO_CONFIG_SIZE);
    this.controller = opts.controller;
    this.guest = opts.guest;
    this.offersIrq = opts.irq ?? true;
    const n = this.controller.count;
    const own = Array.from({ length: n }, (_, i) => (this.controller.access(i, this.guest) ? this.controller.name(i) : null));
    // §5.18.4: gpio_names_size is 0 when the device names no line.
    this.names = own.some((x) => x !== null) ? P.encodeNames(own) : new Uint8Array(0);
    this.config.setU16(P.GPIO_CFG_NGPIO, n);
    this.config.setU32(P.GPIO_CFG_NAMES_SIZE, this.names.length);
    this.irq = this.freshIrq();
    this.last = Array.from({ length: n }, (_, i) => this.controller.level(i));
    this.controller.onChange((line, level) => this.sensed(line, level));
  }

  private freshIrq(): LineIrq[] {
    return Array.from({ length: this.controller.count }, () => ({ type: P.VIRTIO_GPIO_IRQ_TYPE_NONE, latched: false, buffer: null }));
  }

  protected deviceFeatures(): Features {
    return this.offersIrq ? bit(P.VIRTIO_GPIO_F_IRQ) : 0n;
  }

  queueCount(features: Features): number {
    return hasFeature(features, P.VIRTIO_GPIO_F_IRQ) ? 2 : 1; // §5.18.2: the eventq only with VIRTIO_GPIO_F_IRQ
  }

  protected onActivate(env: DeviceEnv): void {
    this.irqNegotiated = hasFeature(env.features, P.VIRTIO_GPIO_F_IRQ);
  }

  // #region reset
  /**
   * Device reset: every line the guest owns goes back to the platform's safe state, direction
   * NONE and value 0, as after SET_DIRECTION NONE (§5.18.6.9), so a guest that reboots never
   * leaves an output driven; interrupt state and held eventq buffers are forgotten.
   */
  protected onReset(): void {
    this.irqNegotiated = false;
    this.irq = this.freshIrq();
    for (let line = 0; line < this.controller.count; line++) {
      if (this.controller.access(line, this.guest) === 'owner') this.controller.configure(line, P.VIRTIO_GPIO_DIRECTION_NONE, 0);
    }
  }
  // #endregion reset

  queueNotify(index: number): void {
    if (!this.active) return;
    if (index === P.GPIO_REQUESTQ) this.drain(P.GPIO_REQUESTQ, (chain) => this.serve(chain));
    else if (index === P.GPIO_EVENTQ && this.irqNegotiated) this.takeEventBuffers();
  }

  private fail(why: GpioFailure): void {
    this.stats.failures.set(why, (this.stats.failures.get(why) ?? 0) + 1);
  }

  // #region serve
  private serve(chain: DescriptorChain): number {
    const req = readChain(this.env.mem, chain);
    const room = totalLength(writableBuffers(chain));
    const w = new ChainWriter(this.env.mem, chain);
    // Any failure: status ERR, then zeros for the rest of the response (§5.18.6.9: every field set).
    const err = (why: GpioFailure, size: number): number => {
      this.fail(why);
      const r = new Uint8Array(Math.min(room, size));
      if (r.length > 0) r[0] = P.VIRTIO_GPIO_STATUS_ERR;
      return w.write(r);
    };
    if (req.length !== P.GPIO_REQUEST_SIZE) return err('bad-length', P.GPIO_RESPONSE_SIZE);
    const v = new DataView(req.buffer, req.byteOffset, req.byteLength);
    const type = v.getUint16(0, true);
    const gpio = v.getUint16(2, true);
    const value = v.getUint32(4, true);
    if (type === P.VIRTIO_GPIO_MSG_GET_LINE_NAMES) {
      const size = 1 + this.names.length;
      if (this.names.length === 0) return err('no-names', size);
      if (gpio !== 0 || value !== 0) return err('bad-value', size);
      if (room < size) return err('short-response', size);
      return this.ok(w, Uint8Array.of(P.VIRTIO_GPIO_STATUS_OK, ...this.names));
    }
    if (type < P.VIRTIO_GPIO_MSG_GET_DIRECTION || type > P.VIRTIO_GPIO_MSG_SET_IRQ_TYPE) return err('unknown-type', P.GPIO_RESPONSE_SIZE);
    if (room < P.GPIO_RESPONSE_SIZE) return err('short-response', P.GPIO_RESPONSE_SIZE);
    if (gpio >= this.controller.count) return err('bad-line', P.GPIO_RESPONSE_SIZE);
    const access = this.controller.access(gpio, this.guest);
    if (access === null) return err('not-owned', P.GPIO_RESPONSE_SIZE); // nothing of the line is read or changed
    const why = this.execute(type, gpio, value, access);
    if (typeof why === 'string') return err(why, P.GPIO_RESPONSE_SIZE);
    return this.ok(w, Uint8Array.of(P.VIRTIO_GPIO_STATUS_OK, why));
  }
  // #endregion serve

  private ok(w: ChainWriter, resp: Uint8Array): number {
    this.stats.ok++;
    return w.write(resp);
  }

  /** This guest's view of a line's direction: the pin's for its owner; a reader sees an input. */
  private direction(line: number, access: GpioAccess): number {
    return access === 'owner' ? this.controller.direction(line) : P.VIRTIO_GPIO_DIRECTION_IN;
  }

  // #region execute
  /** Carries out a message on a line the guest may use: the response's value, or why it fails. */
  private execute(type: number, line: number, value: number, access: GpioAccess): number | GpioFailure {
    const irq = this.irq[line];
    switch (type) {
      case P.VIRTIO_GPIO_MSG_GET_DIRECTION:
        if (value !== 0) return 'bad-value';
        return this.direction(line, access);
      case P.VIRTIO_GPIO_MSG_GET_VALUE:
        if (value !== 0) return 'bad-value';
        return this.controller.level(line);
      case P.VIRTIO_GPIO_MSG_SET_VALUE: {
        if (value > 1) return 'bad-value';
        if (access !== 'owner') return 'read-only';
        // §5.18.6.5: the value is kept, and driven whenever the line is an output.
        this.controller.configure(line, this.controller.direction(line), value as 0 | 1);
        return 0;
      }
      case P.VIRTIO_GPIO_MSG_SET_DIRECTION: {
        if (value > P.VIRTIO_GPIO_DIRECTION_IN) return 'bad-value';
        if (access !== 'owner') {
          // A reader may ask for what the line already is to it (an input), or let go of it.
          if (value === P.VIRTIO_GPIO_DIRECTION_OUT) return 'read-only';
          if (value === P.VIRTIO_GPIO_DIRECTION_NONE) this.disable(line);
          return 0;
        }
        if (value === P.VIRTIO_GPIO_DIRECTION_OUT && irq.type !== P.VIRTIO_GPIO_IRQ_TYPE_NONE) return 'irq-on-output';
        if (value === P.VIRTIO_GPIO_DIRECTION_NONE) {
          // §5.18.6.9: NONE discards all of the line's state.
          this.disable(line);
          this.controller.configure(line, value, 0);
        } else this.controller.configure(line, value, this.controller.output(line));
        return 0;
      }
      case P.VIRTIO_GPIO_MSG_SET_IRQ_TYPE:
        return this.setIrqType(line, value, access);
      default:
        return 'unknown-type';
    }
  }
  // #endregion execute

  // #region set-irq-type
  private setIrqType(line: number, type: number, access: GpioAccess): number | GpioFailure {
    if (!this.irqNegotiated) return 'irq-not-negotiated';
    if (!P.IRQ_TYPES.has(type)) return 'bad-value';
    if (this.direction(line, access) === P.VIRTIO_GPIO_DIRECTION_OUT) return 'irq-on-output';
    const irq = this.irq[line];
    if (type === P.VIRTIO_GPIO_IRQ_TYPE_NONE) {
      this.disable(line);
      return 0;
    }
    if (irq.type !== P.VIRTIO_GPIO_IRQ_TYPE_NONE && irq.type !== type) return 'irq-type-change';
    if (irq.type !== type) {
      irq.type = type;
      irq.latched = false; // edges count from the moment the interrupt is enabled
      this.last[line] = this.controller.level(line);
    }
    this.deliver(line);
    return 0;
  }

  /** Disables the line's interrupt: a latched edge is dropped and a held buffer returned INVALID. */
  private disable(line: number): void {
    const irq = this.irq[line];
    irq.type = P.VIRTIO_GPIO_IRQ_TYPE_NONE;
    irq.latched = false;
    if (irq.buffer) {
      const b = irq.buffer;
      irq.buffer = null;
      this.returnBuffer(b, P.VIRTIO_GPIO_IRQ_STATUS_INVALID);
    }
  }
  // #endregion set-irq-type

  // #region eventq
  /** Takes the eventq buffers the driver offered: each unmasks the line it names. */
  private takeEventBuffers(): void {
    const q = this.queue(P.GPIO_EVENTQ);
    if (!q) return;
    for (;;) {
      const r = q.pop();
      if (r.kind === 'empty') break;
      if (r.kind === 'error') return this.env.needsReset(r.error);
      const chain = r.chain;
      const req = readChain(this.env.mem, chain);
      const shapeOk = totalLength(readableBuffers(chain)) === P.GPIO_IRQ_REQUEST_SIZE && totalLength(writableBuffers(chain)) >= P.GPIO_IRQ_RESPONSE_SIZE;
      if (!shapeOk) {
        this.fail('bad-event-buffer');
        this.returnBuffer(chain, P.VIRTIO_GPIO_IRQ_STATUS_INVALID);
        continue;
      }
      const line = new DataView(req.buffer, req.byteOffset).getUint16(0, true);
      // §5.18.6.6: a line that cannot interrupt (no such line, not the guest's, not enabled)
      // gets its buffer back at once, INVALID, which leaves it masked.
      const why: GpioFailure | null =
        line >= this.controller.count ? 'bad-line' : this.controller.access(line, this.guest) === null ? 'not-owned' : this.irq[line].type === P.VIRTIO_GPIO_IRQ_TYPE_NONE ? 'event-not-enabled' : null;
      if (why) {
        this.fail(why);
        this.returnBuffer(chain, P.VIRTIO_GPIO_IRQ_STATUS_INVALID);
        continue;
      }
      const irq = this.irq[line];
      if (irq.buffer) {
        this.fail('event-duplicate'); // §5.18.7.2 forbids it; the first buffer stays
        this.returnBuffer(chain, P.VIRTIO_GPIO_IRQ_STATUS_INVALID);
        continue;
      }
      irq.buffer = chain;
      this.deliver(line);
    }
  }

  /** The controller saw a line change: an edge is latched or delivered; a level is delivered if unmasked. */
  private sensed(line: number, level: 0 | 1): void {
    const irq = this.irq[line];
    const before = this.last[line];
    this.last[line] = level;
    if (!this.active || !this.irqNegotiated || irq.type === P.VIRTIO_GPIO_IRQ_TYPE_NONE) return;
    if (P.isEdge(irq.type)) {
      const rising = before === 0 && level === 1;
      const falling = before === 1 && level === 0;
      const match = (rising && irq.type !== P.VIRTIO_GPIO_IRQ_TYPE_EDGE_FALLING) || (falling && irq.type !== P.VIRTIO_GPIO_IRQ_TYPE_EDGE_RISING);
      if (match) irq.latched = true; // §5.18.6.9: an edge is latched even while masked
    }
    this.deliver(line);
  }

  /** Sends VALID for the line if it is unmasked and has an interrupt to report. */
  private deliver(line: number): void {
    const irq = this.irq[line];
    if (!irq.buffer || !this.active) return;
    const level = this.controller.level(line);
    const pending = P.isEdge(irq.type) ? irq.latched : (irq.type === P.VIRTIO_GPIO_IRQ_TYPE_LEVEL_HIGH && level === 1) || (irq.type === P.VIRTIO_GPIO_IRQ_TYPE_LEVEL_LOW && level === 0);
    if (!pending) return;
    const b = irq.buffer;
    irq.buffer = null; // returning the buffer masks the line (§5.18.6.6)
    irq.latched = false;
    this.stats.interruptsDelivered++;
    this.returnBuffer(b, P.VIRTIO_GPIO_IRQ_STATUS_VALID);
  }

  private returnBuffer(chain: DescriptorChain, status: number): void {
    const q = this.queue(P.GPIO_EVENTQ);
    if (!q) return;
    if (status === P.VIRTIO_GPIO_IRQ_STATUS_INVALID) this.stats.buffersReturned++;
    const room = totalLength(writableBuffers(chain));
    // The buffer was held since the driver armed the line: it may be unmapped by now (an IOMMU fault).
    const done = this.serveHeld(() => q.push(chain, room > 0 ? new ChainWriter(this.env.mem, chain).write(Uint8Array.of(status)) : 0));
    if (done && q.needsNotification()) this.env.notifyUsed(P.GPIO_EVENTQ);
  }
  // #endregion eventq
}
