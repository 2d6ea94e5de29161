// Two guests share one loudspeaker: the infotainment guest plays full-scale music, the cluster guest a safety chime, and the mixer ducks the music so the chime is heard at its guaranteed level; the plot shows the mixed output.
import { Loopback, showSvg, sound } from '../src/lib/index.ts';

const { VIRTIO_SND_PCM_FMT_S16: S16, VIRTIO_SND_PCM_RATE_48000: R48K, VIRTIO_SND_PCM_F_EVT_XRUNS: XRUNS } = sound;
const zone = new sound.AudioZone({ channels: 1 });
const TICK_US = 5_000; // the platform's audio period: 240 frames at 48 kHz
const ms = () => `${(zone.clock.now / 1000).toFixed(0).padStart(3)} ms`;

// The infotainment guest: stereo media, 10 ms periods, 40 ms buffer (split ring).
const ivi = new sound.SoundDevice({ topology: sound.infotainmentTopology(), clock: zone.clock });
const iviDrv = new sound.SoundDriver(new Loopback(ivi, { ring: 'split' }));
// The cluster guest: one mono safety stream, 5 ms periods, 10 ms buffer (packed ring).
const cluster = new sound.SoundDevice({ topology: sound.chimeTopology(), clock: zone.clock });
const clusterDrv = new sound.SoundDriver(new Loopback(cluster, { ring: 'packed' }));
zone.route(ivi, 0, 'ivi media');
zone.route(cluster, 0, 'cluster chime');
let safetyFaults = 0;
cluster.onFault = () => void safetyFaults++;
iviDrv.postEvents(8);
clusterDrv.postEvents(8);

const media = { bufferBytes: 4 * 1920, periodBytes: 1920, features: 1 << XRUNS, channels: 2, format: S16, rate: R48K };
const chime = { bufferBytes: 2 * 480, periodBytes: 480, features: 1 << XRUNS, channels: 1, format: S16, rate: R48K };
const st = (code: number) => sound.statusName(code);
console.log(`ivi: ${iviDrv.counts.streams} streams; media SET_PARAMS ${st(iviDrv.setParams(0, media))}, PREPARE ${st(iviDrv.pcm('PREPARE', 0))}`);
// A chime stream may not ask for more than its class allows: 40 ms is over the safety budget.
console.log(`cluster: chime SET_PARAMS with a 40 ms buffer ${st(clusterDrv.setParams(0, { ...chime, bufferBytes: 8 * 480 }))}, with 10 ms ${st(clusterDrv.setParams(0, chime))}`);
console.log(`cluster: PREPARE ${st(clusterDrv.pcm('PREPARE', 0))}, STOP before START ${st(clusterDrv.pcm('STOP', 0))}`);

// The signals: a 200 Hz sine at full scale (the music) and three 1 kHz beeps (the chime).
let mediaFrame = 0;
function mediaPeriod(): Uint8Array {
  const s = new Int16Array(480 * 2);
  for (let f = 0; f < 480; f++, mediaFrame++) s[2 * f] = s[2 * f + 1] = Math.round(32767 * Math.sin((2 * Math.PI * 200 * mediaFrame) / 48_000));
  return sound.samplesToBytes(s);
}
let chimeFrame = 0;
const BEEP = 48 * 60; // 60 ms on, 40 ms off
function chimePeriod(): Uint8Array {
  const s = new Int16Array(240);
  for (let f = 0; f < 240; f++, chimeFrame++) s[f] = chimeFrame % (48 * 100) < BEEP ? Math.round(32767 * Math.sin((2 * Math.PI * 1000 * chimeFrame) / 48_000)) : 0;
  return sound.samplesToBytes(s);
}

// Pre-buffer and start the music.
for (let i = 0; i < 4; i++) iviDrv.write(0, mediaPeriod());
console.log(`ivi: START ${st(iviDrv.pcm('START', 0))} with ${ivi.queuedBytes(0)} bytes queued`);

const out: number[] = [];
const CHIME_AT = 150_000;
const CHIME_PERIODS = (3 * 100) / 5; // three beeps with their gaps, 5 ms each
const STALL = [660_000, 720_000]; // the infotainment guest is busy and writes nothing
let chimeSent = 0;
for (let t = 0; t < 800_000; t += TICK_US) {
  // The guests react to what completed, as their interrupt handlers would.
  const stalled = zone.clock.now >= STALL[0] && zone.clock.now < STALL[1];
  for (const _ of iviDrv.written()) if (!stalled) iviDrv.write(0, mediaPeriod());
  if (!stalled) while (ivi.queuedBytes(0) + 1920 <= media.bufferBytes) iviDrv.write(0, mediaPeriod());
  const done = clusterDrv.written().length;
  if (zone.clock.now === CHIME_AT) {
    for (let i = 0; i < 2; i++, chimeSent++) clusterDrv.write(0, chimePeriod());
    console.log(`[${ms()}] cluster: chime START ${st(clusterDrv.pcm('START', 0))}`);
  } else if (chimeSent > 0 && chimeSent < CHIME_PERIODS) {
    for (let i = 0; i < done && chimeSent < CHIME_PERIODS; i++, chimeSent++) clusterDrv.write(0, chimePeriod());
  } else if (chimeSent === CHIME_PERIODS && cluster.queuedBytes(0) === 0 && cluster.streamState(0) === 'running') {
    console.log(`[${ms()}] cluster: chime played out; STOP ${st(clusterDrv.pcm('STOP', 0))}, RELEASE ${st(clusterDrv.pcm('RELEASE', 0))}`);
  }
  out.push(...zone.advance(TICK_US));
  for (const e of [...iviDrv.events()]) console.log(`[${ms()}] ivi event: ${sound.formatEvent(e)} (the guest stalled; the device plays silence and keeps time)`);
}

// What the loudspeaker got, measured in windows of 5 ms.
const W = 240;
const peaks = Array.from({ length: out.length / W }, (_, i) => out.slice(i * W, (i + 1) * W).reduce((m, x) => Math.max(m, Math.abs(x)), 0));
const at = (msT: number) => peaks[msT / 5];
console.log(`\nmixer: ${zone.mixer.stats.frames} frames, safety ceiling ${zone.mixer.safetyCeiling} of full scale, media ducked ${sound.DEFAULT_DUCK_DB.mediaUnderSafety} dB`);
console.log(`  peak at 100 ms (music alone):        ${at(100)}`);
console.log(`  peak at 200 ms (chime over music):   ${at(200)}  (chime ${Math.round(32767 * 0.5)} + music ${Math.round(32767 * 0.1)})`);
console.log(`  peak at 230 ms (between two beeps):  ${at(230)}  (music still ducked)`);
console.log(`  peak at 600 ms (duck released):      ${at(600)}`);
console.log(`  peak at 710 ms (music guest stalled): ${at(710)}`);
console.log(`  peak at 780 ms (music again):        ${at(780)}`);
console.log(`  samples at full scale or beyond: ${out.filter((x) => Math.abs(x) > 32767).length}; held to the range left beside the chime: ${zone.mixer.stats.bedLimited}`);
console.log(`ivi: underruns ${ivi.stats.underruns} (${ivi.stats.underrunFrames} frames of silence); cluster: safety underruns ${cluster.stats.safetyUnderruns}, faults ${safetyFaults}`);

// #region plot
const X0 = 40;
const H = 160;
const y = (v: number) => (90 - (v / 32768) * 70).toFixed(0);
const x = (i: number) => (X0 + i * 3.2).toFixed(0);
const top = peaks.map((p, i) => `${x(i)},${y(p)}`).join(' ');
const bottom = peaks.map((p, i) => `${x(i)},${y(-p)}`).reverse().join(' ');
const chimeBand = `<rect x="${x(CHIME_AT / 5000)}" y="15" width="${(3.2 * CHIME_PERIODS).toFixed(1)}" height="150" fill="#fde68a" opacity="0.6"/>`;
const stallBand = `<rect x="${x(STALL[0] / 5000)}" y="15" width="${(3.2 * 12).toFixed(1)}" height="150" fill="#fecaca" opacity="0.6"/>`;
const grid = [1, 0.5, 0, -0.5, -1].map((v) => `<line x1="${X0}" x2="${X0 + 490}" y1="${y(v * 32768)}" y2="${y(v * 32768)}" stroke="#ccc" stroke-width="0.5"/><text x="${X0 - 4}" y="${y(v * 32768)}" font-size="9" text-anchor="end" dominant-baseline="middle">${v}</text>`).join('');
const ticks = [0, 100, 200, 300, 400, 500, 600, 700, 800].map((t) => `<text x="${x(t / 5)}" y="${H + 12}" font-size="9" text-anchor="middle">${t} ms</text>`).join('');
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="570" height="${H + 40}" viewBox="0 0 570 ${H + 40}" font-family="sans-serif">` +
  `<rect width="570" height="${H + 40}" fill="#fff"/>${chimeBand}${stallBand}${grid}` +
  `<polygon points="${top} ${bottom}" fill="#2563eb" fill-opacity="0.75"/>${ticks}` +
  `<text x="${X0 + 2}" y="11" font-size="10">mixed output, peak per 5 ms (full scale = 1); yellow: safety chime, red: media guest stalled</text></svg>`;
showSvg(svg, 'Mixed output level over 800 ms: full-scale music, ducked to a tenth while three chime beeps play at half scale, restored after the chime, briefly silent when the media guest stalls longer than its buffer, then back to full scale');
// #endregion plot
