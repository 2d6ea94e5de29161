// An entropy source with nothing to give until it is opened: for tests of requests that wait.
import { DeterministicEntropySource, type EntropySource } from '../../src/lib/devices/entropy/source.ts';

export class Gate implements EntropySource {
  open = false;
  private readonly inner = new DeterministicEntropySource(7);
  fill(into: Uint8Array): number {
    return this.open ? this.inner.fill(into) : 0;
  }
}
