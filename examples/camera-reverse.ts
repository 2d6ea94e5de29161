// Reverse is selected: the cluster guest resumes, streams the rear-view camera over virtio-media, the time to first frame is measured in model time against the AVP budget, the IVI gets a read-only copy, and the first frame is shown.
import { Loopback, media, showSvg } from '../src/lib/index.ts';

const { V4L2_BUF_TYPE_VIDEO_CAPTURE: CAPTURE, V4L2_PIX_FMT_RGB24, V4L2_PIX_FMT_GREY } = media;
const ms = (us: number | null) => (us === null ? '-' : `${(us / 1000).toFixed(1)} ms`);
const clock = new media.MediaClock();
const sensor = new media.CameraSensor({ clock, startupUs: 250_000, frameIntervalUs: 33_333 });

// The platform's access policy: the cluster owns the camera, the IVI may watch, nobody else.
const hub = new media.CameraHub(sensor, { owner: 'cluster', viewers: ['ivi'] });
const cluster = hub.deviceFor('cluster')!;
const ivi = hub.deviceFor('ivi')!;
hub.deviceFor('rear-seat');
for (const d of hub.log) console.log(`policy: ${d.guest.padEnd(9)} ${d.access.padEnd(6)} ${d.device ? 'gets a virtio-media device' : 'gets no device'}`);

const drv = new media.MediaDriver(new Loopback(cluster, { ring: 'packed' }));
const view = new media.MediaDriver(new Loopback(ivi, { ring: 'split' }));
drv.postEvents(16);
view.postEvents(16);
const cfg = drv.config();
console.log(`cluster: device ID ${cluster.deviceId}, card "${cfg.card}", device_caps 0x${cfg.deviceCaps.toString(16)}, device_type ${cfg.deviceType}`);

// What the guest's rear-view service does once it runs: open, set the format, queue 4 buffers, stream.
const BUFS = 4;
function startRearView(d: media.MediaDriver): number {
  const { session } = d.open();
  const f = d.sFmt(session, CAPTURE, media.pixFormat(64, 48, V4L2_PIX_FMT_RGB24));
  d.reqbufs(session, CAPTURE, BUFS);
  for (let i = 0; i < BUFS; i++) d.qbuf(session, CAPTURE, i, f.pix.sizeimage);
  d.streamon(session, CAPTURE);
  return session;
}

// Reverse at t = 100 ms; the cluster guest needs 900 ms to resume from suspend and start its service.
clock.advance(100_000);
const timeline = new media.ReverseTimeline(clock);
let session = 0;
console.log(`\n[${ms(clock.now)}] reverse selected`);
timeline.selectReverse(cluster, 900_000, () => (session = startRearView(drv)));

// The IVI watches too, but cannot reconfigure the camera, and reads its events late.
clock.advance(1_000_000);
const vs = view.open().session;
console.log(`[${ms(clock.now)}] ivi S_FMT GREY: ${media.errnoName(view.sFmt(vs, CAPTURE, media.pixFormat(64, 48, V4L2_PIX_FMT_GREY)).status)}; G_FMT ${media.fourccName(view.gFmt(vs, CAPTURE).pix.pixelformat)}`);
view.reqbufs(vs, CAPTURE, 2);
for (let i = 0; i < 2; i++) view.qbuf(vs, CAPTURE, i, sensor.format.sizeimage);
view.streamon(vs, CAPTURE);

// Run 300 ms: the cluster requeues every buffer it gets back; the IVI never requeues.
let first: Uint8Array | null = null;
for (let t = 0; t < 300; t += 10) {
  clock.advance(10_000);
  for (const e of drv.events()) {
    if (e.kind !== 'dqbuf') continue;
    const b = e.buffer;
    if (!first) {
      first = drv.read(session, CAPTURE, b.index, b.bytesused);
      console.log(`[${ms(clock.now)}] cluster: first frame, buffer ${b.index}, seq ${b.sequence}, ${b.bytesused} bytes, timestamp ${ms(b.timestampUs)}`);
    }
    drv.qbuf(session, CAPTURE, b.index, b.length);
  }
}
const ivEvents = view.events().filter((e) => e.kind === 'dqbuf');
console.log(`[${ms(clock.now)}] cluster: ${cluster.stats.dqbufEvents} frames, ${cluster.stats.framesDropped} dropped; ivi: ${ivEvents.length} frames, ${ivi.stats.framesDropped} dropped (no buffers requeued)`);

const r = timeline.report();
const b = timeline.budget;
console.log('\ntime to first frame (model time):');
console.log(`  reverse -> STREAMON      ${ms(r.platformUs).padStart(9)}  (platform budget ${ms(b.platformUs)})`);
console.log(`  STREAMON -> first frame  ${ms(r.deviceUs).padStart(9)}  (device budget ${ms(b.deviceUs)})`);
console.log(`  reverse -> first frame   ${ms(r.totalUs).padStart(9)}  (of ${ms(media.REGULATORY_RESPONSE_US)}: ${r.withinBudget ? 'within budget' : 'OVER BUDGET'})`);

if (first) showSvg(media.frameToSvg(first, sensor.format.width, sensor.format.height, { step: 2, scale: 8, caption: `first frame, ${ms(r.totalUs)} after reverse` }), 'The first rear-view frame: sky, a wall, the ground with green, yellow and red guide lines, and an orange ball.');
