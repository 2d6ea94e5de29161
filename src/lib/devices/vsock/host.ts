// The host's own sockets (CID 2, VIRTIO 1.4 §5.10.4): services that guests connect to, and
// connections the host opens to guests. They run the same connection logic as a guest, so the
// host keeps the credit rules it enforces on guests (§5.10.6.3).
import type { ConnectionOptions, VsockConnection } from './connection.ts';
import { VMADDR_CID_HOST } from './config.ts';
import type { VsockPacket } from './packet.ts';
import { SocketTable, type VsockListener } from './socket-table.ts';
import type { DeliverResult, VsockHostPort, VsockSwitch } from './switch.ts';

export class VsockHost implements VsockHostPort {
  readonly cid = VMADDR_CID_HOST;
  readonly reachable = true;
  readonly sockets: SocketTable;
  /** Packets the host received, in order, for logs and tests. */
  readonly log: VsockPacket[] = [];
  /** Keep `log` (off by default: a long transfer would fill it). */
  logging = false;

  /** A host endpoint plugged into a switch; `opts` are the defaults of its sockets. */
  constructor(sw: VsockSwitch, opts: ConnectionOptions = {}) {
    this.sockets = new SocketTable({ ...opts, cid: VMADDR_CID_HOST, transmit: (p) => sw.fromHost(p) });
    sw.attachHost(this);
  }

  listen(port: number, opts: { type?: number; backlog?: number } & ConnectionOptions = {}): VsockListener {
    return this.sockets.listen(port, opts);
  }

  connect(cid: bigint | number, port: number, opts: { type?: number; localPort?: number } & ConnectionOptions = {}): VsockConnection {
    return this.sockets.connect(BigInt(cid), port, opts);
  }

  allowsType(_type: number): boolean {
    return true; // the host speaks both socket types
  }

  deliver(p: VsockPacket): DeliverResult {
    if (this.logging) this.log.push(p);
    this.sockets.receive(p);
    return 'ok';
  }

  transportReset(): void {
    this.sockets.transportReset(VMADDR_CID_HOST);
  }
}
