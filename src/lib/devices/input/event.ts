// struct virtio_input_event (VIRTIO 1.4 §5.8.6): the 8 bytes both queues carry, le16 type,
// le16 code, le32 value. evdev's value is a signed 32-bit integer (a relative motion of -3,
// a tracking ID of -1), so the model reads the le32 field as two's complement.
import { codeName, EV_SYN, SYN_REPORT, typeName } from './codes.ts';

// #region input-event
export const INPUT_EVENT_SIZE = 8;

export interface InputEvent {
  readonly type: number;
  readonly code: number;
  /** A signed 32-bit value, as evdev has it. */
  readonly value: number;
}

export function encodeInputEvent(e: InputEvent): Uint8Array {
  const out = new Uint8Array(INPUT_EVENT_SIZE);
  const v = new DataView(out.buffer);
  v.setUint16(0, e.type & 0xffff, true);
  v.setUint16(2, e.code & 0xffff, true);
  v.setInt32(4, e.value | 0, true);
  return out;
}

/** The event in the first 8 bytes of `bytes`. */
export function decodeInputEvent(bytes: Uint8Array): InputEvent {
  if (bytes.length < INPUT_EVENT_SIZE) throw new RangeError(`an input event is ${INPUT_EVENT_SIZE} bytes, got ${bytes.length}`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, INPUT_EVENT_SIZE);
  return { type: v.getUint16(0, true), code: v.getUint16(2, true), value: v.getInt32(4, true) };
}
// #endregion input-event

export const SYN: InputEvent = { type: EV_SYN, code: SYN_REPORT, value: 0 };

export function isSynReport(e: InputEvent): boolean {
  return e.type === EV_SYN && e.code === SYN_REPORT;
}

export function ev(type: number, code: number, value: number): InputEvent {
  return { type, code, value };
}

/** "EV_KEY KEY_VOLUMEUP 1" */
export function formatEvent(e: InputEvent): string {
  return `${typeName(e.type)} ${codeName(e.type, e.code)} ${e.value}`;
}

/** Splits a stream of events into frames, each ending with SYN_REPORT; a trailing partial frame is returned last. */
export function splitFrames(events: readonly InputEvent[]): InputEvent[][] {
  const frames: InputEvent[][] = [];
  let cur: InputEvent[] = [];
  for (const e of events) {
    cur.push(e);
    if (isSynReport(e)) {
      frames.push(cur);
      cur = [];
    }
  }
  if (cur.length > 0) frames.push(cur);
  return frames;
}
