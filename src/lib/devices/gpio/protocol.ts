// The GPIO device's wire format, VIRTIO 1.4 §5.18 (device ID 41): the configuration, the
// requestq's request and response, the message types and their values, and the eventq's
// interrupt request and response. All multi-byte fields are little-endian.

export const VIRTIO_ID_GPIO = 41;
export const GPIO_REQUESTQ = 0;
export const GPIO_EVENTQ = 1;

// #region gpio-constants
/** §5.18.3: interrupts on lines; the eventq exists only with it. */
export const VIRTIO_GPIO_F_IRQ = 0;

export const VIRTIO_GPIO_MSG_GET_LINE_NAMES = 0x0001;
export const VIRTIO_GPIO_MSG_GET_DIRECTION = 0x0002;
export const VIRTIO_GPIO_MSG_SET_DIRECTION = 0x0003;
export const VIRTIO_GPIO_MSG_GET_VALUE = 0x0004;
export const VIRTIO_GPIO_MSG_SET_VALUE = 0x0005;
export const VIRTIO_GPIO_MSG_SET_IRQ_TYPE = 0x0006;

export const VIRTIO_GPIO_STATUS_OK = 0x0;
export const VIRTIO_GPIO_STATUS_ERR = 0x1;

export const VIRTIO_GPIO_DIRECTION_NONE = 0x00;
export const VIRTIO_GPIO_DIRECTION_OUT = 0x01;
export const VIRTIO_GPIO_DIRECTION_IN = 0x02;

export const VIRTIO_GPIO_IRQ_TYPE_NONE = 0x00;
export const VIRTIO_GPIO_IRQ_TYPE_EDGE_RISING = 0x01;
export const VIRTIO_GPIO_IRQ_TYPE_EDGE_FALLING = 0x02;
export const VIRTIO_GPIO_IRQ_TYPE_EDGE_BOTH = 0x03;
export const VIRTIO_GPIO_IRQ_TYPE_LEVEL_HIGH = 0x04;
export const VIRTIO_GPIO_IRQ_TYPE_LEVEL_LOW = 0x08;

export const VIRTIO_GPIO_IRQ_STATUS_INVALID = 0x0;
export const VIRTIO_GPIO_IRQ_STATUS_VALID = 0x1;
// #endregion gpio-constants

// #region gpio-layout
/** struct virtio_gpio_config: le16 ngpio, u8 padding[2], le32 gpio_names_size. */
export const GPIO_CFG_NGPIO = 0;
export const GPIO_CFG_NAMES_SIZE = 4;
export const GPIO_CONFIG_SIZE = 8;

/** struct virtio_gpio_request: le16 type, le16 gpio, le32 value. */
export const GPIO_REQUEST_SIZE = 8;
/** struct virtio_gpio_response: u8 status, u8 value. GET_LINE_NAMES answers u8 status, u8 value[N]. */
export const GPIO_RESPONSE_SIZE = 2;

/** struct virtio_gpio_irq_request: le16 gpio. struct virtio_gpio_irq_response: u8 status. */
export const GPIO_IRQ_REQUEST_SIZE = 2;
export const GPIO_IRQ_RESPONSE_SIZE = 1;
// #endregion gpio-layout

export const IRQ_TYPES: ReadonlySet<number> = new Set([0x00, 0x01, 0x02, 0x03, 0x04, 0x08]);
export const isEdge = (t: number): boolean => t === VIRTIO_GPIO_IRQ_TYPE_EDGE_RISING || t === VIRTIO_GPIO_IRQ_TYPE_EDGE_FALLING || t === VIRTIO_GPIO_IRQ_TYPE_EDGE_BOTH;
export const isLevel = (t: number): boolean => t === VIRTIO_GPIO_IRQ_TYPE_LEVEL_HIGH || t === VIRTIO_GPIO_IRQ_TYPE_LEVEL_LOW;

export function encodeRequest(type: number, gpio: number, value = 0): Uint8Array {
  const b = new Uint8Array(GPIO_REQUEST_SIZE);
  const v = new DataView(b.buffer);
  v.setUint16(0, type, true);
  v.setUint16(2, gpio, true);
  v.setUint32(4, value >>> 0, true);
  return b;
}

export function encodeIrqRequest(gpio: number): Uint8Array {
  const b = new Uint8Array(GPIO_IRQ_REQUEST_SIZE);
  new DataView(b.buffer).setUint16(0, gpio, true);
  return b;
}

/**
 * The gpio-names block: each line's name, zero-terminated, in line order, an empty name being
 * a lone zero byte (§5.18.6.1). `names` holds null for a line without a name.
 */
export function encodeNames(names: readonly (string | null)[]): Uint8Array {
  const parts = names.map((n) => [...(n ?? '')].map((c) => c.charCodeAt(0)).concat(0));
  return Uint8Array.from(parts.flat());
}

export function decodeNames(block: Uint8Array): string[] {
  const out: string[] = [];
  let cur = '';
  for (const b of block) {
    if (b === 0) {
      out.push(cur);
      cur = '';
    } else cur += String.fromCharCode(b);
  }
  return out;
}
