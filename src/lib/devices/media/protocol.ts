// The virtio-media wire format (VIRTIO 1.4 §5.22): the configuration space, the commands the
// driver puts on the commandq and their responses, and the events the device puts on the
// eventq. Every field is little-endian. V4L2 payloads that follow an IOCTL command or a
// DQBUF/EVENT event are laid out in v4l2.ts.

export const VIRTIO_ID_MEDIA = 48;
export const MEDIA_COMMANDQ = 0;
export const MEDIA_EVENTQ = 1;

// #region config-layout
/** struct virtio_media_config (§5.22.4): 40 bytes, all read-only for the driver. */
export const MEDIA_CFG_DEVICE_CAPS = 0; // le32: the device_caps of struct v4l2_capability
export const MEDIA_CFG_DEVICE_TYPE = 4; // le32: the vfl_devnode_type of the video node
export const MEDIA_CFG_CARD = 8; //        u8 card[32]: UTF-8, NUL-terminated unless all 32 bytes are used
export const MEDIA_CARD_LEN = 32;
export const MEDIA_CONFIG_SIZE = MEDIA_CFG_CARD + MEDIA_CARD_LEN; // 40

/** Linux's enum vfl_devnode_type: a /dev/videoN node is VFL_TYPE_VIDEO. */
export const VFL_TYPE_VIDEO = 0;
// #endregion config-layout

// #region commands
export const VIRTIO_MEDIA_CMD_OPEN = 1;
export const VIRTIO_MEDIA_CMD_CLOSE = 2;
export const VIRTIO_MEDIA_CMD_IOCTL = 3;
export const VIRTIO_MEDIA_CMD_MMAP = 4;
export const VIRTIO_MEDIA_CMD_MUNMAP = 5;

/** struct virtio_media_cmd_header: le32 cmd, le32 reserved. */
export const CMD_HEADER_SIZE = 8;
/** struct virtio_media_resp_header: le32 status (0 or a Linux errno), le32 reserved. */
export const RESP_HEADER_SIZE = 8;

/** Device-readable size of each command, without any ioctl payload. */
export const CMD_SIZE: Record<number, number> = {
  [VIRTIO_MEDIA_CMD_OPEN]: 8, //    header
  [VIRTIO_MEDIA_CMD_CLOSE]: 16, //  header, le32 session_id, le32 reserved
  [VIRTIO_MEDIA_CMD_IOCTL]: 16, //  header, le32 session_id, le32 code; the payload follows
  [VIRTIO_MEDIA_CMD_MMAP]: 20, //   header, le32 session_id, le32 flags, le32 offset
  [VIRTIO_MEDIA_CMD_MUNMAP]: 16, // header, le64 driver_addr
};

/** struct virtio_media_resp_open: header, le32 session_id, le32 reserved. */
export const RESP_OPEN_SIZE = 16;
/** struct virtio_media_resp_mmap: header, le64 driver_addr, le64 len. */
export const RESP_MMAP_SIZE = 24;

/** struct virtio_media_sg_entry: le64 start, le32 len, le32 reserved. */
export const SG_ENTRY_SIZE = 16;
// #endregion commands

// #region events
export const VIRTIO_MEDIA_EVT_ERROR = 0;
export const VIRTIO_MEDIA_EVT_DQBUF = 1;
export const VIRTIO_MEDIA_EVT_EVENT = 2;

/** struct virtio_media_event_header: le32 event, le32 session_id. */
export const EVENT_HEADER_SIZE = 8;
export const VIRTIO_MEDIA_MAX_PLANES = 8;
/** Error event: header, le32 errno, le32 reserved. */
export const EVENT_ERROR_SIZE = 16;
/** DQBUF event: header, struct v4l2_buffer (88), struct v4l2_plane[8] (8 x 64). */
export const EVENT_DQBUF_SIZE = EVENT_HEADER_SIZE + 88 + VIRTIO_MEDIA_MAX_PLANES * 64; // 608
/** V4L2 event: header, struct v4l2_event (136). */
export const EVENT_EVENT_SIZE = EVENT_HEADER_SIZE + 136; // 144
/** The largest event: an eventq buffer this big can take any of them. */
export const MAX_EVENT_SIZE = EVENT_DQBUF_SIZE;
// #endregion events

// enum virtio_media_memory: the V4L2 memory types under their virtio-media names.
export const VIRTIO_MEDIA_MMAP = 1; // V4L2_MEMORY_MMAP: device buffers, mapped through shared memory region 0
export const VIRTIO_MEDIA_SHARED_PAGES = 2; // V4L2_MEMORY_USERPTR: guest pages, described by SG entries
export const VIRTIO_MEDIA_OBJECT = 4; // V4L2_MEMORY_DMABUF: a virtio object (UUID)

export interface SgEntry {
  readonly start: bigint;
  readonly len: number;
}

export function encodeSg(entries: readonly SgEntry[]): Uint8Array {
  const out = new Uint8Array(entries.length * SG_ENTRY_SIZE);
  const v = new DataView(out.buffer);
  entries.forEach((e, i) => {
    v.setBigUint64(i * SG_ENTRY_SIZE, e.start, true);
    v.setUint32(i * SG_ENTRY_SIZE + 8, e.len, true);
  });
  return out;
}

/** A little-endian view of a byte string, for the decoders of this folder. */
export function le(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** A command header (and the response header has the same shape). */
export function header(cmdOrStatus: number): Uint8Array {
  const out = new Uint8Array(8);
  le(out).setUint32(0, cmdOrStatus >>> 0, true);
  return out;
}

/** Joins byte strings (the core's helper, under the name this model's files use). */
export { concatBytes as concat } from '../../virtio/bytes.ts';
