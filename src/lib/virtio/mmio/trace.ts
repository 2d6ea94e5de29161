// A RegisterBus that records every access on its way through: what the MMIO chapter's example
// prints, and what a test uses to check the order of a driver's accesses.
import type { RegisterBus } from './driver.ts';
import { mmioRegisterName } from './registers.ts';

export interface RegisterAccessRecord {
  readonly kind: 'read' | 'write';
  readonly offset: number;
  readonly width: 1 | 2 | 4;
  readonly value: number;
}

export class TracingBus implements RegisterBus {
  readonly inner: RegisterBus;
  readonly accesses: RegisterAccessRecord[] = [];

  constructor(inner: RegisterBus) {
    this.inner = inner;
  }

  read(offset: number, width: 1 | 2 | 4 = 4): number {
    const value = this.inner.read(offset, width);
    this.accesses.push({ kind: 'read', offset, width, value });
    return value;
  }

  write(offset: number, value: number, width: 1 | 2 | 4 = 4): void {
    this.inner.write(offset, value, width);
    this.accesses.push({ kind: 'write', offset, width, value: value >>> 0 });
  }

  /** Empties the record and returns what it held. */
  take(): RegisterAccessRecord[] {
    return this.accesses.splice(0);
  }
}

/** One access as a line such as `write Status        <- 0x00000003`. */
export function formatAccess(a: RegisterAccessRecord): string {
  const arrow = a.kind === 'read' ? '->' : '<-';
  const hex = `0x${a.value.toString(16).padStart(a.width * 2, '0')}`;
  return `${a.kind.padEnd(5)} ${mmioRegisterName(a.offset).padEnd(17)} ${arrow} ${hex}`;
}
