// Emergency write (VIRTIO 1.4 §5.3.5, §5.3.5.1): with VIRTIO_CONSOLE_F_EMERG_WRITE offered, a
// driver stores a character in `emerg_wr` and the device passes its low byte on at once. No
// queue, no DRIVER_OK, not even feature negotiation is needed, so a guest can print before its
// virtio driver runs and after it has broken its own rings.
import { CONSOLE_CFG_EMERG_WR } from './config.ts';
import type { ConsoleOutput } from './host.ts';
import type { ConsoleStats } from './stats.ts';

const EMERG_WR_END = CONSOLE_CFG_EMERG_WR + 4;

/** The write lies wholly inside emerg_wr: the one field a driver may write in any state. */
export function withinEmergWr(offset: number, len: number): boolean {
  return len > 0 && offset >= CONSOLE_CFG_EMERG_WR && offset + len <= EMERG_WR_END;
}

// #region emergency-write
/**
 * A driver write to the configuration space. Only emerg_wr is writable: a write that holds its
 * lowest byte sends that byte; anything else (other fields, the upper bytes alone, a device
 * that does not offer the feature, no output) is ignored and counted.
 */
export function emergencyWrite(offset: number, data: Uint8Array, offered: boolean, sink: ConsoleOutput | null, stats: ConsoleStats): void {
  if (offset < CONSOLE_CFG_EMERG_WR || offset + data.length > EMERG_WR_END) stats.configWritesIgnored++;
  if (offset >= EMERG_WR_END || offset + data.length <= CONSOLE_CFG_EMERG_WR) return; // emerg_wr untouched
  const low = CONSOLE_CFG_EMERG_WR - offset;
  if (!offered || !sink || low < 0 || low >= data.length) {
    stats.emergencyIgnored++;
    return;
  }
  stats.emergencyChars++;
  try {
    sink.write(new Uint8Array([data[low]]));
  } catch {
    // A failing log cannot be reported to the guest, which may be crashing anyway.
  }
}
// #endregion emergency-write
