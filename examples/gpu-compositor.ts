// Two guests' GPUs on one panel: a cluster and an infotainment guest under the protected telltale plane
import { gpu, Loopback, showSvg } from '../src/lib/index.ts';

// The integrator's policy: the infotainment guest fills the panel, the cluster guest's scanout
// sits above it on the left, and the safety telltales sit above both.
const compositor = new gpu.Compositor({
  panel: { width: 240, height: 80 },
  layers: [
    { guest: 'ivi', scanout: 0, rect: { x: 0, y: 0, width: 240, height: 80 }, z: 0 },
    { guest: 'cluster', scanout: 0, rect: { x: 0, y: 0, width: 100, height: 80 }, z: 1 },
  ],
  telltalePlane: { rect: { x: 97, y: 2, width: 46, height: 11 }, telltales: gpu.DEMO_TELLTALES },
});

function guest(name: string) {
  const dev = new gpu.GpuDevice();
  compositor.attach(name, dev);
  const drv = new gpu.GpuDriver(new Loopback(dev));
  const { modes } = drv.displayInfo();
  const edid = gpu.parseEdid(drv.edid(0).edid);
  console.log(`${name}: scanout 0 is ${modes[0].width}x${modes[0].height} at ${modes[0].x},${modes[0].y}; EDID ${edid.valid ? 'valid' : 'INVALID'}, "${edid.name}" ${edid.width}x${edid.height}`);
  return { dev, drv, mode: modes[0] };
}

const ivi = guest('ivi');
const cluster = guest('cluster');

// The infotainment guest draws a map: blocks, two roads, a route and the car's position.
const map = (x: number, y: number) => {
  if (Math.abs(x - 150) <= 2 && y >= 20 && y <= 60) return 0xff1e88e5; // route
  if (x >= 148 && x <= 154 && y >= 18 && y <= 22) return 0xffffffff; // position
  if (y >= 38 && y <= 42) return 0xff9e9e9e; // east-west road
  if (x >= 148 && x <= 152) return 0xff9e9e9e; // north-south road
  return (Math.floor(x / 24) + Math.floor(y / 20)) % 2 ? 0xff2e4a3a : 0xff35533f; // blocks
};
const mapId = ivi.drv.show(0, ivi.mode.width, ivi.mode.height, map);

// The cluster guest draws a speed bar graph and a gear indicator.
cluster.drv.show(0, cluster.mode.width, cluster.mode.height, (x, y) => {
  const bar = Math.floor((x - 8) / 8);
  if (y >= 56 && y <= 70 && x >= 8 && x < 88 && (x - 8) % 8 < 6) return bar < 6 ? 0xff00c853 : 0xff37474f;
  if (x >= 40 && x < 60 && y >= 20 && y < 44) return 0xffeceff1; // gear "D" block
  return 0xff101820;
});

// The safety domain lights two telltales.
compositor.setTelltale('brake', true);
compositor.setTelltale('seatbelt', true);
const before = compositor.vsync();

// The infotainment guest now paints the whole panel white and floods flushes, trying to cover
// everything. Each flush only replaces the one frame waiting in its layer's mailbox.
const white = () => 0xffffffff;
ivi.drv.redraw(mapId, ivi.mode.width, ivi.mode.height, white);
for (let i = 0; i < 200; i++) ivi.drv.flush(mapId, { x: 0, y: 0, width: ivi.mode.width, height: ivi.mode.height });
const flooded = compositor.vsync();
const s = compositor.layerStats('ivi', 0)!;
console.log(`ivi: ${s.presented} frames presented, ${s.superseded} superseded in the mailbox, ${s.latched} latched`);
console.log(`refresh ${before.seq}: telltales [${before.telltales.join(', ')}], read-back ${before.telltaleCheck ? 'ok' : 'FAILED'}, ${before.work} pixels written`);
console.log(`refresh ${flooded.seq}: telltales [${flooded.telltales.join(', ')}], read-back ${flooded.telltaleCheck ? 'ok' : 'FAILED'}, ${flooded.work} pixels written`);

// Back to the map, and one refresh to show it.
ivi.drv.redraw(mapId, ivi.mode.width, ivi.mode.height, map);
const frame = compositor.vsync();
console.log(`refresh ${frame.seq}: panel ${frame.width}x${frame.height}, pixels hash ${gpu.frameHash(frame)}`);
showSvg(gpu.frameToSvg(frame, { scale: 3, title: 'composed panel' }), 'the composed panel: cluster guest on the left, map of the infotainment guest behind it, brake and seat-belt telltales on top');
