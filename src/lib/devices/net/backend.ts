// What a network device is plugged into. The device hands every frame its driver transmits to
// a NetBackend and takes incoming frames through NetReceiver.receive(); a back end may be a
// virtual switch port, a tap a test drives, or (on a real platform) a host bridge or a NIC.
// Frames here are plain Ethernet frames, destination address first, no virtio header.

/** Why the device did not hand an incoming frame to its driver. */
export type RxDropReason =
  | 'inactive' // the driver has not set DRIVER_OK, or the device was reset
  | 'link-down' // the host took the link down
  | 'runt' // shorter than an Ethernet header
  | 'over-mtu' // longer than mtu plus the Ethernet header (§5.1.4.1)
  | 'filtered' // refused by the receive filter (§5.1.9.5)
  | 'no-buffers' // the driver had not posted enough receive buffers
  | 'buffer-too-small' // without VIRTIO_NET_F_MRG_RXBUF, the next buffer cannot hold the frame
  | 'queue-error'; // the receive queue is broken; the device needs a reset

export type RxResult = 'delivered' | RxDropReason;

// #region backend
/** The way out of a device: where its transmitted frames go. */
export interface NetBackend {
  send(frame: Uint8Array): void;
}

/** The way in: something frames can be delivered to. */
export interface NetReceiver {
  receive(frame: Uint8Array): RxResult;
}

/** Both: a device, or anything else that can sit at the end of a virtual cable. */
export interface NetEndpoint extends NetReceiver {
  /** Plugs the endpoint into a back end (null unplugs it). */
  connect(backend: NetBackend | null): void;
}
// #endregion backend

/**
 * A test harness end: records the frames that reach it and sends frames into whatever it is
 * connected to. Plug it into a device with cable(), or into a virtual switch port.
 */
export class NetTap implements NetEndpoint {
  /** Frames delivered to the tap, in order (copies). */
  readonly received: Uint8Array[] = [];
  private backend: NetBackend | null = null;

  connect(backend: NetBackend | null): void {
    this.backend = backend;
  }

  receive(frame: Uint8Array): RxResult {
    this.received.push(new Uint8Array(frame));
    return 'delivered';
  }

  /** Sends a frame out of the tap; returns false if the tap is not connected. */
  send(frame: Uint8Array): boolean {
    if (!this.backend) return false;
    this.backend.send(frame);
    return true;
  }

  /** Removes and returns everything received so far. */
  take(): Uint8Array[] {
    return this.received.splice(0);
  }
}

/** Joins two endpoints back to back, like a cable between two NICs. */
export function cable(a: NetEndpoint, b: NetEndpoint): void {
  a.connect({ send: (f) => void b.receive(f) });
  b.connect({ send: (f) => void a.receive(f) });
}
