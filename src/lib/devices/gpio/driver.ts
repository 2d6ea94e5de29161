// The guest side of a GPIO device over the in-process Loopback, reduced to what Linux's
// gpio-virtio driver does: one request and one response buffer per message, the names read
// once, and for each interrupt line one eventq buffer that the driver offers again after it
// has handled the interrupt. raw() offers any buffer shape at all, for malformed requests.
import type { Loopback } from '../../virtio/loopback.ts';
import * as P from './protocol.ts';

export interface GpioResponse {
  readonly status: number;
  readonly value: number;
  readonly len: number;
  readonly data: Uint8Array;
}

export class GpioDriver {
  readonly lb: Loopback;
  /** eventq tokens by line, for the buffers this driver has offered and not yet got back. */
  private readonly armed = new Map<number, number>();

  constructor(lb: Loopback) {
    this.lb = lb;
  }

  get ngpio(): number {
    return this.lb.device.config.u16(P.GPIO_CFG_NGPIO);
  }

  get namesSize(): number {
    return this.lb.device.config.u32(P.GPIO_CFG_NAMES_SIZE);
  }

  raw(out: readonly Uint8Array[], inLens: readonly number[]): GpioResponse {
    const c = this.lb.request(P.GPIO_REQUESTQ, out, inLens);
    return { status: c.len > 0 ? c.data[0] : -1, value: c.len > 1 ? c.data[1] : -1, len: c.len, data: c.data };
  }

  send(type: number, gpio: number, value = 0): GpioResponse {
    return this.raw([P.encodeRequest(type, gpio, value)], [P.GPIO_RESPONSE_SIZE]);
  }

  /** The line names, or null if the device refused (or names none). */
  lineNames(): string[] | null {
    const r = this.raw([P.encodeRequest(P.VIRTIO_GPIO_MSG_GET_LINE_NAMES, 0, 0)], [1 + this.namesSize]);
    return r.status === P.VIRTIO_GPIO_STATUS_OK ? P.decodeNames(r.data.subarray(1)) : null;
  }

  direction(line: number): GpioResponse {
    return this.send(P.VIRTIO_GPIO_MSG_GET_DIRECTION, line);
  }

  setDirection(line: number, dir: number): GpioResponse {
    return this.send(P.VIRTIO_GPIO_MSG_SET_DIRECTION, line, dir);
  }

  get(line: number): GpioResponse {
    return this.send(P.VIRTIO_GPIO_MSG_GET_VALUE, line);
  }

  set(line: number, value: number): GpioResponse {
    return this.send(P.VIRTIO_GPIO_MSG_SET_VALUE, line, value);
  }

  // #region drive-output
  /**
   * Makes a line an output at `value` without a glitch: the value first, then the direction,
   * so the pin never shows the value it had before (§5.18.6.3 advises it; the AVP requires it).
   */
  driveOutput(line: number, value: 0 | 1): GpioResponse {
    const r = this.set(line, value);
    return r.status === P.VIRTIO_GPIO_STATUS_OK ? this.setDirection(line, P.VIRTIO_GPIO_DIRECTION_OUT) : r;
  }
  // #endregion drive-output

  // #region arm-interrupt
  /** Enables an interrupt on the line and unmasks it with an eventq buffer. */
  enableIrq(line: number, type: number): GpioResponse {
    const r = this.send(P.VIRTIO_GPIO_MSG_SET_IRQ_TYPE, line, type);
    if (r.status === P.VIRTIO_GPIO_STATUS_OK) this.unmask(line);
    return r;
  }

  /** Offers the line's eventq buffer (again): the line is unmasked until the device returns it. */
  unmask(line: number): void {
    this.armed.set(line, this.lb.submit(P.GPIO_EVENTQ, [P.encodeIrqRequest(line)], [P.GPIO_IRQ_RESPONSE_SIZE]));
  }

  /**
   * The eventq buffers the device has returned since the last call, as [line, status] pairs:
   * VALID is an interrupt (the line is now masked), INVALID a buffer handed back unused.
   */
  events(): [number, number][] {
    const byId = new Map([...this.armed].map(([line, id]) => [id, line]));
    return this.lb.poll(P.GPIO_EVENTQ).map((c) => {
      const line = byId.get(c.id) ?? -1;
      this.armed.delete(line);
      return [line, c.len > 0 ? c.data[0] : -1];
    });
  }
  // #endregion arm-interrupt
}
