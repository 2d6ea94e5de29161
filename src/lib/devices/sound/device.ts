// The sound device, VIRTIO 1.4 §5.14 (device ID 25): PCM streams, jacks and channel maps of one
// virtual sound card. controlq (0) carries requests and responses, eventq (1) jack and PCM
// notifications, txq (2) frames to play, rxq (3) frames recorded. Playback and capture are
// paced by a model clock at each stream's negotiated rate: an output message completes when
// its last frame has been played, not when the device has read it. Nothing the driver writes
// is trusted: a malformed control request gets a status code, a malformed I/O message gets
// VIRTIO_SND_S_IO_ERR (or, with no room for a status, used length 0); only a broken ring,
// which the queue layer reports, puts the device into DEVICE_NEEDS_RESET.
import { ChainWriter, readChain } from '../../virtio/chain-io.ts';
import { type DescriptorChain, readableBuffers, totalLength, writableBuffers } from '../../virtio/chain.ts';
import { type DeviceEnv, VirtioDevice } from '../../virtio/device.ts';
import type { Features } from '../../virtio/feature-bits.ts';
import { SoundClock } from './clock.ts';
import { SND_CFG_CHMAPS, SND_CFG_CONTROLS, SND_CFG_JACKS, SND_CFG_STREAMS, SND_CONFIG_SIZE, SND_CONTROLQ, SND_EVENTQ, SND_RXQ, SND_TXQ, VIRTIO_ID_SOUND } from './config.ts';
import { type EventSink, SoundEventBacklog } from './event-queue.ts';
import { frameBytes, PCM_RATE_HZ, VIRTIO_SND_PCM_F_EVT_SHMEM_PERIODS, VIRTIO_SND_PCM_F_EVT_XRUNS } from './formats.ts';
import { encodeChmapInfo, encodeJackInfo, encodePcmInfo } from './info.ts';
import { LATENCY_LIMITS } from './latency.ts';
import { checkParams, decodeSetParams } from './params.ts';
import { acceptsIo, allowed, PCM_COMMAND_CODES, PCM_TARGET, type PcmCommand, type PcmState } from './pcm-state.ts';
import {
  le32,
  SND_HDR_SIZE,
  SND_JACK_INFO_SIZE,
  SND_JACK_REMAP_SIZE,
  SND_PCM_HDR_SIZE,
  SND_PCM_INFO_SIZE,
  SND_PCM_STATUS_SIZE,
  SND_PCM_XFER_SIZE,
  SND_QUERY_INFO_SIZE,
  SND_CHMAP_INFO_SIZE,
  type SndEvent,
  u32At,
  VIRTIO_SND_D_OUTPUT,
  VIRTIO_SND_EVT_JACK_CONNECTED,
  VIRTIO_SND_EVT_JACK_DISCONNECTED,
  VIRTIO_SND_EVT_PCM_PERIOD_ELAPSED,
  VIRTIO_SND_EVT_PCM_XRUN,
  VIRTIO_SND_R_CHMAP_INFO,
  VIRTIO_SND_R_JACK_INFO,
  VIRTIO_SND_R_JACK_REMAP,
  VIRTIO_SND_R_PCM_INFO,
  VIRTIO_SND_S_BAD_MSG,
  VIRTIO_SND_S_IO_ERR,
  VIRTIO_SND_S_NOT_SUPP,
  VIRTIO_SND_S_OK,
} from './protocol.ts';
import { type ControlReject, type IoReject, newSoundStats, type SoundStats } from './stats.ts';
import { bytesToSamples, type CaptureSource, newStream, type PcmSink, type PcmStream, queuedBytes, samplesToBytes } from './stream.ts';
import { type SoundTopology, topologyError } from './topology.ts';
import { type IoMessage, writeAt, writeStatus } from './xfer.ts';

export interface SoundDeviceOptions {
  readonly topology: SoundTopology;
  /** Model time; default a clock of the device's own. */
  readonly clock?: SoundClock;
  /** Events held while the driver has no eventq buffer; default 64. */
  readonly eventBacklog?: number;
}

/** A control answer before it is written: the status and, for queries, the information. */
interface ControlAnswer {
  readonly status: number;
  readonly payload?: Uint8Array;
  readonly why?: ControlReject;
}

export class SoundDevice extends VirtioDevice {
  readonly deviceId = VIRTIO_ID_SOUND;
  readonly name = 'virtio-snd';
  readonly topology: SoundTopology;
  readonly clock: SoundClock;
  readonly stats: SoundStats = newSoundStats();
  /** Called when a stream whose latency class makes underruns a fault runs dry. */
  onFault: ((streamId: number, what: 'underrun') => void) | null = null;
  private readonly streams: PcmStream[];
  private readonly jackConnected: boolean[];
  private readonly events: SoundEventBacklog;

  constructor(opts: SoundDeviceOptions) {
    super(SND_CONFIG_SIZE);
    const err = topologyError(opts.topology);
    if (err) throw new RangeError(`sound topology: ${err}`);
    this.topology = opts.topology;
    this.clock = opts.clock ?? new SoundClock();
    this.events = new SoundEventBacklog(opts.eventBacklog ?? 64);
    this.streams = opts.topology.streams.map((s, i) => newStream(i, s));
    this.jackConnected = opts.topology.jacks.map((j) => j.connected);
    this.config.setU32(SND_CFG_JACKS, opts.topology.jacks.length);
    this.config.setU32(SND_CFG_STREAMS, opts.topology.streams.length);
    this.config.setU32(SND_CFG_CHMAPS, opts.topology.chmaps.length);
    this.config.setU32(SND_CFG_CONTROLS, 0);
  }

  protected deviceFeatures(): Features {
    return 0n; // VIRTIO_SND_F_CTLS is not offered: the model has no control elements
  }

  queueCount(): number {
    return 4;
  }

  // #region platform-side
  /** Sends an output stream's frames to `sink` (the mixer) as they are played. */
  connect(streamId: number, sink: PcmSink): void {
    this.stream(streamId).sink = sink;
  }

  /** Feeds an input stream from `source` (a microphone) as it records. */
  attachSource(streamId: number, source: CaptureSource): void {
    this.stream(streamId).source = source;
  }

  /** A plug or unplug at jack `jackId`: the device tells the driver if it changed anything. */
  setJack(jackId: number, connected: boolean): void {
    if (jackId < 0 || jackId >= this.jackConnected.length) throw new RangeError(`jack ${jackId}: no such jack`);
    if (this.jackConnected[jackId] === connected) return;
    this.jackConnected[jackId] = connected;
    if (this.active) this.emit({ type: connected ? VIRTIO_SND_EVT_JACK_CONNECTED : VIRTIO_SND_EVT_JACK_DISCONNECTED, data: jackId });
  }

  /** Moves the clock forward and runs every stream up to the new time. */
  advance(us: number): void {
    this.clock.advance(us);
    this.run();
  }
  // #endregion platform-side

  streamState(id: number): PcmState {
    return this.stream(id).state;
  }

  /** I/O messages the device holds for a stream, and the bytes in them not yet played or filled. */
  pendingMessages(id: number): number {
    return this.stream(id).pending.length;
  }

  queuedBytes(id: number): number {
    return queuedBytes(this.stream(id));
  }

  get heldEvents(): number {
    return this.events.length;
  }

  private stream(id: number): PcmStream {
    const s = this.streams[id];
    if (!s) throw new RangeError(`stream ${id}: no such stream`);
    return s;
  }

  protected onReset(): void {
    // The driver's messages are forgotten, not completed: after a reset the rings are gone.
    for (const s of this.streams) {
      Object.assign(s, { state: 'idle', params: null, grid: 0, xrun: false, periodProgress: 0 });
      s.pending.length = 0;
    }
    this.events.clear();
  }

  protected onActivate(_env: DeviceEnv): void {}

  queueNotify(index: number): void {
    if (!this.active) return;
    this.run(); // everything due up to now happens before the new buffers are looked at
    if (index === SND_CONTROLQ) this.drain(SND_CONTROLQ, (c) => this.serveControl(c));
    else if (index === SND_EVENTQ) this.events.flush(this.eventSink());
    else if (index === SND_TXQ || index === SND_RXQ) this.takeIo(index);
  }

  // #region control
  /** One controlq request: a device-readable request, a device-writable response. */
  private serveControl(chain: DescriptorChain): number {
    const room = totalLength(writableBuffers(chain));
    this.stats.controlRequests++;
    if (room < SND_HDR_SIZE) {
      this.stats.controlNoResponseRoom++; // nowhere to put even a status code
      return 0;
    }
    const a = this.control(readChain(this.env.mem, chain), room);
    this.stats.controlStatus[a.status] = (this.stats.controlStatus[a.status] ?? 0) + 1;
    if (a.why) {
      this.stats.controlRejects[a.why] = (this.stats.controlRejects[a.why] ?? 0) + 1;
      this.stats.lastControlReject = a.why;
    }
    const w = new ChainWriter(this.env.mem, chain);
    w.write(le32(a.status));
    if (a.payload) w.write(a.payload);
    return w.written;
  }

  private control(req: Uint8Array, room: number): ControlAnswer {
    const code = u32At(req, 0);
    if (code === null) return reject(VIRTIO_SND_S_BAD_MSG, 'short');
    switch (code) {
      case VIRTIO_SND_R_JACK_INFO:
      case VIRTIO_SND_R_PCM_INFO:
      case VIRTIO_SND_R_CHMAP_INFO:
        return this.query(code, req, room);
      case VIRTIO_SND_R_JACK_REMAP: {
        if (req.length < SND_JACK_REMAP_SIZE) return reject(VIRTIO_SND_S_BAD_MSG, 'short');
        if (u32At(req, 4)! >= this.jackConnected.length) return reject(VIRTIO_SND_S_BAD_MSG, 'bad-id');
        return reject(VIRTIO_SND_S_NOT_SUPP, 'not-supported'); // no jack offers VIRTIO_SND_JACK_F_REMAP
      }
    }
    const cmd = PCM_COMMAND_CODES[code];
    if (cmd) return this.pcmCommand(cmd, req);
    // CTL_INFO .. CTL_TLV_COMMAND need VIRTIO_SND_F_CTLS, which is not offered; any other
    // code is undefined. Both are answered NOT_SUPP.
    return reject(VIRTIO_SND_S_NOT_SUPP, 'unknown-code');
  }
  // #endregion control

  // #region query
  /** R_JACK_INFO, R_PCM_INFO, R_CHMAP_INFO: `count` items from `start_id`, each `size` bytes. */
  private query(code: number, req: Uint8Array, room: number): ControlAnswer {
    if (req.length < SND_QUERY_INFO_SIZE) return reject(VIRTIO_SND_S_BAD_MSG, 'short');
    const start = u32At(req, 4)!;
    const count = u32At(req, 8)!;
    const size = u32At(req, 12)!;
    const [items, infoSize] =
      code === VIRTIO_SND_R_JACK_INFO
        ? [this.topology.jacks.map((j, i) => encodeJackInfo(j, this.jackConnected[i])), SND_JACK_INFO_SIZE]
        : code === VIRTIO_SND_R_PCM_INFO
          ? [this.topology.streams.map(encodePcmInfo), SND_PCM_INFO_SIZE]
          : [this.topology.chmaps.map(encodeChmapInfo), SND_CHMAP_INFO_SIZE];
    if (start + count > items.length) return reject(VIRTIO_SND_S_BAD_MSG, 'bad-id');
    // A driver built for a later, longer structure gets ours padded with zeros; a shorter one
    // could not hold the fields, so it is refused rather than cut.
    if (size < infoSize || room < SND_HDR_SIZE + count * size) return reject(VIRTIO_SND_S_BAD_MSG, 'bad-query');
    const payload = new Uint8Array(count * size);
    for (let i = 0; i < count; i++) payload.set(items[start + i], i * size);
    return { status: VIRTIO_SND_S_OK, payload };
  }
  // #endregion query

  // #region pcm-command
  private pcmCommand(cmd: PcmCommand, req: Uint8Array): ControlAnswer {
    if (req.length < SND_PCM_HDR_SIZE) return reject(VIRTIO_SND_S_BAD_MSG, 'short');
    const s = this.streams[u32At(req, 4)!];
    if (!s) return reject(VIRTIO_SND_S_BAD_MSG, 'bad-id');
    const p = cmd === 'SET_PARAMS' ? decodeSetParams(req) : null;
    if (cmd === 'SET_PARAMS' && !p) return reject(VIRTIO_SND_S_BAD_MSG, 'short');
    if (!allowed(s.state, cmd)) return reject(VIRTIO_SND_S_BAD_MSG, 'wrong-state');
    if (p) {
      const bad = checkParams(s.spec, p, req[23]);
      if (bad) return reject(bad.status, bad.why);
      this.abandon(s); // pre-buffered frames were laid out for the old parameters
      s.params = p;
    }
    if (cmd === 'PREPARE') Object.assign(s, { xrun: false, periodProgress: 0 });
    if (cmd === 'START') s.grid = this.clock.frameAt(PCM_RATE_HZ[s.params!.rate]);
    // RELEASE hands back every message of the stream before its own response (§5.14.6.6.5.1).
    if (cmd === 'RELEASE') this.abandon(s);
    s.state = PCM_TARGET[cmd];
    return { status: VIRTIO_SND_S_OK };
  }
  // #endregion pcm-command

  /** Completes every message a stream holds: unplayed output as IO_ERR, input with what it recorded. */
  private abandon(s: PcmStream): void {
    const q = s.spec.direction === VIRTIO_SND_D_OUTPUT ? SND_TXQ : SND_RXQ;
    const msgs = s.pending.splice(0);
    for (const m of msgs) {
      if (q === SND_TXQ) {
        this.countIo('released');
        this.complete(q, m.chain, writeStatus(this.env.mem, m.chain, VIRTIO_SND_S_IO_ERR, 0, null));
      } else {
        this.stats.ioCompleted++;
        this.complete(q, m.chain, writeStatus(this.env.mem, m.chain, VIRTIO_SND_S_OK, 0, m.done));
      }
    }
    if (msgs.length) this.notifyIfNeeded(q);
  }

  // #region take-io
  /** New messages on the txq or rxq: refused at once with a status, or held for the clock. */
  private takeIo(q: number): void {
    const queue = this.queue(q);
    if (!queue) return;
    for (;;) {
      const r = queue.pop();
      if (r.kind === 'empty') break;
      if (r.kind === 'error') return this.env.needsReset(r.error);
      const why = this.admit(q, r.chain);
      if (why === null) continue; // held
      this.countIo(why);
      // With room for a status, IO_ERR; without, the buffer goes back with used length 0.
      queue.push(r.chain, why === 'no-status-room' ? 0 : writeStatus(this.env.mem, r.chain, VIRTIO_SND_S_IO_ERR, 0, q === SND_RXQ ? 0 : null));
      this.pushed.add(q);
    }
    this.notifyIfNeeded(q);
  }

  /** Holds a well-formed message (null) or says why it is refused. */
  private admit(q: number, chain: DescriptorChain): IoReject | null {
    const room = totalLength(writableBuffers(chain));
    if (room < SND_PCM_STATUS_SIZE) return 'no-status-room';
    const readable = totalLength(readableBuffers(chain));
    if (q === SND_TXQ ? room !== SND_PCM_STATUS_SIZE : readable !== SND_PCM_XFER_SIZE) return 'bad-shape';
    const bytes = readChain(this.env.mem, chain);
    const id = u32At(bytes, 0);
    if (id === null) return 'short-header';
    const s = this.streams[id];
    const output = q === SND_TXQ;
    if (!s || (s.spec.direction === VIRTIO_SND_D_OUTPUT) !== output) return 'bad-stream';
    if (!acceptsIo(s.state)) return 'wrong-state';
    const p = s.params!;
    const n = output ? bytes.length - SND_PCM_XFER_SIZE : room - SND_PCM_STATUS_SIZE;
    if (n % frameBytes(p.format, p.channels) !== 0) return 'partial-frame';
    if (queuedBytes(s) + n > p.bufferBytes) return 'over-buffer';
    s.pending.push({ chain, data: output ? bytes.subarray(SND_PCM_XFER_SIZE) : new Uint8Array(0), bytes: n, done: 0 });
    return null;
  }
  // #endregion take-io

  // #region run
  /** Plays and records every running stream up to the clock's time. */
  run(): void {
    if (!this.active) return;
    // Messages are held while they play or record: the driver may unmap one meanwhile (an IOMMU fault).
    this.serveHeld(() => {
      for (const s of this.streams) {
        if (s.state !== 'running') continue;
        const grid = this.clock.frameAt(PCM_RATE_HZ[s.params!.rate]);
        const n = grid - s.grid;
        s.grid = grid;
        if (n <= 0) continue;
        if (s.spec.direction === VIRTIO_SND_D_OUTPUT) this.play(s, n);
        else this.record(s, n);
      }
    });
    this.notifyIfNeeded(SND_TXQ);
    this.notifyIfNeeded(SND_RXQ);
  }
  // #endregion run

  // #region play
  /** `n` frames of an output stream: from the oldest message on, silence if they run out. */
  private play(s: PcmStream, n: number): void {
    const p = s.params!;
    const fb = frameBytes(p.format, p.channels);
    const out = new Int16Array(n * p.channels); // silence unless data fills it
    let at = 0;
    for (;;) {
      const m = s.pending[0];
      if (!m) break;
      if (m.done === m.bytes) {
        // Totally consumed: only now may the message complete (§5.14.6.8.1.1).
        s.pending.shift();
        this.stats.ioCompleted++;
        this.complete(SND_TXQ, m.chain, writeStatus(this.env.mem, m.chain, VIRTIO_SND_S_OK, queuedBytes(s), null));
        continue;
      }
      if (at === n) break;
      const take = Math.min(n - at, (m.bytes - m.done) / fb);
      out.set(bytesToSamples(m.data.subarray(m.done, m.done + take * fb)), at * p.channels);
      m.done += take * fb;
      at += take;
      this.dataFrames(s, take);
    }
    if (at < n) this.underrun(s, n - at);
    s.sink?.write(out, p.channels);
  }
  // #endregion play

  // #region underrun
  /**
   * The driver did not keep up: the device plays silence for the missing frames (never old
   * frames again), the stream keeps running on the clock so the next data plays on time, and
   * the first missing frame of each episode is reported.
   */
  private underrun(s: PcmStream, missing: number): void {
    this.stats.underrunFrames += missing;
    if (s.xrun) return;
    s.xrun = true;
    this.stats.underruns++;
    if (LATENCY_LIMITS[s.spec.latencyClass].underrunIsFault) {
      this.stats.safetyUnderruns++;
      this.onFault?.(s.id, 'underrun');
    }
    if (s.params!.features & (1 << VIRTIO_SND_PCM_F_EVT_XRUNS)) this.emit({ type: VIRTIO_SND_EVT_PCM_XRUN, data: s.id });
  }
  // #endregion underrun

  /** `n` frames of an input stream from its source, into the oldest messages; dropped if there are none. */
  private record(s: PcmStream, n: number): void {
    const p = s.params!;
    const fb = frameBytes(p.format, p.channels);
    const got = s.source?.(n, p.channels);
    const bytes = samplesToBytes(got && got.length === n * p.channels ? got : new Int16Array(n * p.channels));
    let off = 0;
    while (off < bytes.length) {
      const m = s.pending[0];
      if (!m) {
        this.overrun(s, (bytes.length - off) / fb);
        break;
      }
      const take = Math.min(bytes.length - off, m.bytes - m.done);
      writeAt(this.env.mem, m.chain, m.done, bytes.subarray(off, off + take));
      m.done += take;
      off += take;
      this.dataFrames(s, take / fb);
      if (m.done === m.bytes) {
        s.pending.shift(); // full: complete (§5.14.6.8.2.1)
        this.stats.ioCompleted++;
        this.complete(SND_RXQ, m.chain, writeStatus(this.env.mem, m.chain, VIRTIO_SND_S_OK, 0, m.done));
      }
    }
  }

  private overrun(s: PcmStream, dropped: number): void {
    this.stats.overrunFrames += dropped;
    if (s.xrun) return;
    s.xrun = true;
    this.stats.overruns++;
    if (s.params!.features & (1 << VIRTIO_SND_PCM_F_EVT_XRUNS)) this.emit({ type: VIRTIO_SND_EVT_PCM_XRUN, data: s.id });
  }

  /** Frames of real data moved: the episode of an xrun is over, and periods elapse. */
  private dataFrames(s: PcmStream, frames: number): void {
    if (frames <= 0) return;
    const p = s.params!;
    s.xrun = false;
    s.frames += frames;
    const periodFrames = p.periodBytes / frameBytes(p.format, p.channels);
    s.periodProgress += frames;
    while (s.periodProgress >= periodFrames) {
      s.periodProgress -= periodFrames;
      if (p.features & (1 << VIRTIO_SND_PCM_F_EVT_SHMEM_PERIODS)) this.emit({ type: VIRTIO_SND_EVT_PCM_PERIOD_ELAPSED, data: s.id });
    }
  }

  private complete(q: number, chain: DescriptorChain, len: number): void {
    this.queue(q)?.push(chain, len);
    this.pushed.add(q);
  }

  private readonly pushed = new Set<number>();

  private notifyIfNeeded(q: number): void {
    if (!this.pushed.delete(q)) return;
    const queue = this.queue(q);
    if (queue?.needsNotification()) this.env.notifyUsed(q);
  }

  private countIo(why: IoReject): void {
    this.stats.ioRejects[why] = (this.stats.ioRejects[why] ?? 0) + 1;
    this.stats.lastIoReject = why;
  }

  private emit(e: SndEvent): void {
    if (!this.events.offer(e, this.eventSink())) this.stats.eventsDropped++;
  }

  private eventSink(): EventSink {
    const env = this.env;
    return {
      mem: env.mem,
      queue: this.queue(SND_EVENTQ),
      notify: () => env.notifyUsed(SND_EVENTQ),
      needsReset: (e) => env.needsReset(e),
      delivered: () => void this.stats.eventsDelivered++,
      badBuffer: () => void this.stats.badEventBuffers++,
    };
  }
}

function reject(status: number, why: ControlReject): ControlAnswer {
  return { status, why };
}
