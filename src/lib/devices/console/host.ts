// The host side of a console port: where the guest's output goes (a log, a terminal) and
// where its input comes from (a diagnostic tool, a test). A port may have either, both or
// neither; with VIRTIO_CONSOLE_F_MULTIPORT the device tells the driver whether one is attached.

// #region port-host
/** Receives the bytes the guest writes to a port (its transmitq). Must not block. */
export interface ConsoleOutput {
  write(data: Uint8Array): void;
}

/** Gives the bytes the guest reads from a port (its receiveq). */
export interface ConsoleInput {
  /** Up to `max` bytes, or none now; the device asks again after inputReady(). */
  read(max: number): Uint8Array;
}

export interface ConsolePortHost {
  readonly output?: ConsoleOutput | null;
  readonly input?: ConsoleInput | null;
  /** The guest opened (true) or closed (false) its side of the port. */
  opened?(open: boolean): void;
}
// #endregion port-host

// #region input-gate
/**
 * Decides whether host input may reach a port. A development platform has none (all input
 * passes); a production platform admits a port only while an authenticated session holds it.
 */
export interface ConsoleInputGate {
  admits(port: number, name: string | null): boolean;
}

/** Admits nothing until the platform grants a port, e.g. after authenticating a diagnostic tester. */
export class ProductionInputGate implements ConsoleInputGate {
  private readonly granted = new Set<number>();

  grant(port: number): void {
    this.granted.add(port);
  }

  revoke(port: number): void {
    this.granted.delete(port);
  }

  admits(port: number): boolean {
    return this.granted.has(port);
  }
}
// #endregion input-gate
