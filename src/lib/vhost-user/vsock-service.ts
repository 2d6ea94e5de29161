// A host service (CID 2) for a guest to connect to over the vsock model: it reads a stream until
// the guest shuts down its sending side, then answers one line, "got <n> bytes: <first line>",
// and closes. Enough to check delivery both ways and to time a bulk transfer.
import { VSOCK_SHUTDOWN_SEND, type VsockConnection, VsockHost, type VsockListener, type VsockPacket, type VsockSwitch } from '../devices/vsock/index.ts';

interface Session {
  readonly conn: VsockConnection;
  bytes: number;
  head: Uint8Array;
  answered: boolean;
}

export class VsockService extends VsockHost {
  readonly port: number;
  readonly stats = { connections: 0, bytes: 0, answered: 0 };
  private readonly sessions = new Set<Session>();
  private readonly listener: VsockListener;

  constructor(sw: VsockSwitch, port: number) {
    super(sw, { bufAlloc: 256 * 1024 });
    this.port = port;
    this.listener = this.listen(port, { backlog: 16 });
  }

  deliver(p: VsockPacket): ReturnType<VsockHost['deliver']> {
    const r = super.deliver(p);
    this.serve();
    return r;
  }

  // #region serve
  private serve(): void {
    for (let c = this.listener.accept(); c; c = this.listener.accept()) {
      this.sessions.add({ conn: c, bytes: 0, head: new Uint8Array(0), answered: false });
      this.stats.connections++;
    }
    for (const s of this.sessions) {
      const data = s.conn.recv();
      if (data.length) {
        s.bytes += data.length;
        this.stats.bytes += data.length;
        if (s.head.length < 80) s.head = Uint8Array.from([...s.head, ...data.subarray(0, 80 - s.head.length)]);
      }
      if (!s.answered && s.conn.peerShutdown & VSOCK_SHUTDOWN_SEND) {
        s.answered = true;
        this.stats.answered++;
        const first = new TextDecoder().decode(s.head).split('\n')[0];
        s.conn.send(new TextEncoder().encode(`got ${s.bytes} bytes: ${first}\n`));
        s.conn.close();
      }
      if (s.conn.state === 'closed') this.sessions.delete(s);
    }
  }
  // #endregion serve
}
