// The SCMI device, VIRTIO 1.4 §5.17 (device ID 32): one guest's SCMI agent on the platform. The
// cmdq carries one command per chain, answered in the same chain; the eventq, which exists only
// with VIRTIO_SCMI_F_P2A_CHANNELS, carries notifications and delayed responses in buffers the
// driver posts. Nothing a guest sends is trusted: a malformed command gets a status, a chain
// too short to answer is handed back unused and counted, and only a broken ring puts the device
// into DEVICE_NEEDS_RESET.
import { type DescriptorChain, readableBuffers, totalLength, writableBuffers } from '../../virtio/chain.ts';
import { ChainWriter, readChainPrefix } from '../../virtio/chain-io.ts';
import { type DeviceEnv, VirtioDevice } from '../../virtio/device.ts';
import { deliverBacklog, holdsWhole } from '../../virtio/event-delivery.ts';
import { bit, type Features, hasFeature } from '../../virtio/feature-bits.ts';
import { baseProtocol, visibleProtocols } from './base-protocol.ts';
import { dispatch, type ProtocolHandler } from './dispatch.ts';
import { SCMI_CMDQ, SCMI_EVENTQ, SCMI_HEADER_AND_STATUS, VIRTIO_ID_SCMI, VIRTIO_SCMI_F_P2A_CHANNELS, VIRTIO_SCMI_F_SHARED_MEMORY } from './header.ts';
import { SCMI_PROTOCOL_SENSOR } from './messages.ts';
import type { ScmiPlatform } from './platform.ts';
import { sensorProtocol } from './sensor-protocol.ts';
import { AgentSession, type P2aMessage } from './session.ts';

/** The largest parameters of any implemented command (SENSOR_TRIP_POINT_CONFIG): the device reads no more. */
const MAX_PARAMS = 16;

export interface ScmiDeviceOptions {
  readonly platform: ScmiPlatform;
  /** The agent (guest) this device serves: a name from the platform's agent table. */
  readonly agent: string;
  /** Notifications kept while the eventq has no buffer; beyond it the oldest is dropped. Default 32. */
  readonly eventBacklog?: number;
}

export interface ScmiStats {
  /** Responses by SCMI status. */
  readonly byStatus: Map<number, number>;
  /** cmdq chains handed back unused: fewer than 4 device-readable bytes (no header). */
  noHeader: number;
  /** cmdq chains handed back unused: fewer than 8 device-writable bytes (no room for header and status). */
  noRoom: number;
  notificationsSent: number;
  delayedResponsesSent: number;
  /** Notifications dropped: the backlog was full, or the buffer at hand too small. */
  notificationsDropped: number;
  /** eventq buffers handed back unused: a device-readable part, or too small for the message. */
  badEventBuffers: number;
}

export class ScmiDevice extends VirtioDevice {
  readonly deviceId = VIRTIO_ID_SCMI;
  readonly name = 'virtio-scmi';
  readonly platform: ScmiPlatform;
  readonly session: AgentSession;
  readonly stats: ScmiStats = { byStatus: new Map(), noHeader: 0, noRoom: 0, notificationsSent: 0, delayedResponsesSent: 0, notificationsDropped: 0, badEventBuffers: 0 };
  private readonly eventBacklog: number;
  private backlog: P2aMessage[] = [];
  private p2a = false;
  private sharedMemory = false;
  private suspended = false;

  constructor(opts: ScmiDeviceOptions) {
    super(0); // §5.17.4: no device configuration
    this.platform = opts.platform;
    this.eventBacklog = opts.eventBacklog ?? 32;
    if (!Number.isInteger(this.eventBacklog) || this.eventBacklog < 1) throw new RangeError('eventBacklog: at least 1');
    this.session = new AgentSession(opts.platform, opts.platform.agent(opts.agent), (m) => this.emit(m));
  }

  // #region features
  protected deviceFeatures(): Features {
    // §5.17.3.1: the device implements notifications and delayed responses, so it offers P2A
    // channels. It has no statistics shared memory region, so it does not offer SHARED_MEMORY.
    return bit(VIRTIO_SCMI_F_P2A_CHANNELS);
  }

  queueCount(features: Features): number {
    return hasFeature(features, VIRTIO_SCMI_F_P2A_CHANNELS) ? 2 : 1; // §5.17.2: the eventq only with P2A channels
  }
  // #endregion features

  protected onActivate(env: DeviceEnv): void {
    this.p2a = hasFeature(env.features, VIRTIO_SCMI_F_P2A_CHANNELS);
    this.sharedMemory = hasFeature(env.features, VIRTIO_SCMI_F_SHARED_MEMORY);
  }

  protected onReset(): void {
    // The agent's subscriptions, trip points and reads in flight go with the driver that made
    // them; the sensors' shared configuration is the platform's and stays.
    this.session.clear();
    this.backlog = [];
    this.p2a = false;
    this.suspended = false;
  }

  /** §3.4: nothing is processed in the background but P2A messages, which are held until resume. */
  suspend(): void {
    this.suspended = true;
  }

  resume(): void {
    this.suspended = false;
  }

  /** Notifications and delayed responses waiting for an eventq buffer. */
  get backlogLength(): number {
    return this.backlog.length;
  }

  queueNotify(index: number): void {
    if (!this.active || this.suspended) return;
    if (index === SCMI_CMDQ) this.drain(SCMI_CMDQ, (chain) => this.serve(chain));
    else if (index === SCMI_EVENTQ) this.pump();
  }

  /** The protocols this agent may use, by ID. */
  private protocols(): Map<number, ProtocolHandler> {
    const m = new Map<number, ProtocolHandler>([[baseProtocol.protocolId, baseProtocol]]);
    if (visibleProtocols(this.session).includes(SCMI_PROTOCOL_SENSOR)) m.set(sensorProtocol.protocolId, sensorProtocol);
    return m;
  }

  // #region serve
  /** One command chain: the header and parameters, then room for the response. Returns the bytes written. */
  private serve(chain: DescriptorChain): number {
    const inLen = totalLength(readableBuffers(chain));
    const room = totalLength(writableBuffers(chain));
    // Without a header there is no token to answer to; without 8 bytes of room there is no
    // status to write. Either way the chain goes back unused, and the device counts it.
    if (inLen < 4) {
      this.stats.noHeader++;
      return 0;
    }
    if (room < SCMI_HEADER_AND_STATUS) {
      this.stats.noRoom++;
      return 0;
    }
    const bytes = readChainPrefix(this.env.mem, chain, 4 + MAX_PARAMS);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const header = view.getUint32(0, true);
    const params = new DataView(bytes.buffer, bytes.byteOffset + 4, bytes.byteLength - 4);
    const ctx = { platform: this.platform, agent: this.session.agent, session: this.session, p2a: this.p2a, sharedMemory: this.sharedMemory, room: room - SCMI_HEADER_AND_STATUS };
    const r = dispatch(header, params, inLen - 4, ctx, this.protocols());
    this.stats.byStatus.set(r.status, (this.stats.byStatus.get(r.status) ?? 0) + 1);
    // The header goes back unchanged, token included; then the status; then, on SUCCESS only,
    // the return values (§5.17.6.1.1: an error carries the status alone).
    const out = new Uint8Array(SCMI_HEADER_AND_STATUS + (r.ret?.length ?? 0));
    const o = new DataView(out.buffer);
    o.setUint32(0, header, true);
    o.setInt32(4, r.status, true);
    if (r.ret) out.set(r.ret, SCMI_HEADER_AND_STATUS);
    return new ChainWriter(this.env.mem, chain).write(out);
  }
  // #endregion serve

  // #region eventq
  /**
   * A notification or delayed response for the eventq. It waits in the backlog until the driver
   * has posted a buffer; a full backlog drops its oldest notification, never a delayed response
   * (§5.17.6.3.1: a device may drop notifications, but must send every delayed response).
   */
  private emit(m: P2aMessage): void {
    if (!this.p2a) return; // without the eventq nothing was asked for; nothing is made
    this.backlog.push(m);
    while (this.backlog.filter((x) => x.kind === 'notification').length > this.eventBacklog) {
      const oldest = this.backlog.findIndex((x) => x.kind === 'notification');
      this.backlog.splice(oldest, 1);
      this.stats.notificationsDropped++;
    }
    this.pump();
  }

  /** Moves the backlog into posted eventq buffers, in order, while there are buffers. */
  private pump(): void {
    if (!this.active || this.suspended || !this.p2a) return;
    const q = this.queue(SCMI_EVENTQ);
    if (!q) return;
    const { pushed, error } = deliverBacklog(this.env.mem, q, this.backlog, {
      // §5.17.6.2.1 forbids device-readable or too small eventq buffers. Such a buffer goes back
      // unused and counted; a notification that does not fit is omitted (§5.17.6.3.1 allows it),
      // a delayed response waits for the next buffer.
      fits: (chain, m) => holdsWhole(chain, m.bytes.length),
      dropWhenUnfit: (m) => m.kind === 'notification',
      encode: (m) => m.bytes,
      delivered: (m) => {
        if (m.kind === 'delayed-response') {
          this.session.undelivered--;
          this.stats.delayedResponsesSent++;
        } else {
          this.stats.notificationsSent++;
        }
      },
      rejected: (_chain, _m, dropped) => {
        this.stats.badEventBuffers++;
        if (dropped) this.stats.notificationsDropped++;
      },
    });
    if (error) return this.env.needsReset(error);
    if (pushed && q.needsNotification()) this.env.notifyUsed(SCMI_EVENTQ);
  }
  // #endregion eventq
}
