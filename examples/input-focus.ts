// Two guests (cluster and IVI) share one touchscreen and the steering-wheel keys while the focus moves: touches and held keys finish where they began, and every frame's latency is measured.
import { input, Loopback } from '../src/lib/index.ts';

const { ev, EV_ABS, EV_KEY, ABS_MT_SLOT, ABS_MT_TRACKING_ID, ABS_MT_POSITION_X, ABS_MT_POSITION_Y, ABS_X, ABS_Y, BTN_TOUCH } = input;
const clock = new input.ModelClock();
const router = new input.FocusRouter({ clock, routeCostUs: 200 });
const ms = (us: number) => `${(us / 1000).toFixed(1)} ms`;

function boot(name: string, ring: 'split' | 'packed') {
  const touch = new input.InputDevice({ profile: input.touchscreenProfile({ width: 1920, height: 720, slots: 2 }), clock });
  const keys = new input.InputDevice({ profile: input.steeringKeysProfile(), clock });
  const t = new input.InputDriver(new Loopback(touch, { ring }));
  const k = new input.InputDriver(new Loopback(keys, { ring }));
  t.post(32);
  k.post(16);
  router.addGuest({ name, touch, keys });
  return { name, touch, keys, t, k };
}
type Guest = ReturnType<typeof boot>;

const cluster = boot('cluster', 'packed');
const ivi = boot('ivi', 'split');

// What a driver learns from the configuration window.
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const bits = (b: Uint8Array) => [...b].flatMap((x, i) => [0, 1, 2, 3, 4, 5, 6, 7].filter((j) => x & (1 << j)).map((j) => 8 * i + j));
const absX = input.decodeAbsInfo(ivi.t.query(input.VIRTIO_INPUT_CFG_ABS_INFO, ABS_MT_POSITION_X));
console.log(`ivi touch: device ID ${ivi.touch.deviceId}, name "${text(ivi.t.query(input.VIRTIO_INPUT_CFG_ID_NAME, 0))}"`);
console.log(`  EV_ABS codes ${bits(ivi.t.query(input.VIRTIO_INPUT_CFG_EV_BITS, EV_ABS)).map((c) => input.codeName(EV_ABS, c)).join(' ')}`);
console.log(`  ABS_MT_POSITION_X min ${absX.min} max ${absX.max}; ABS_MT_SLOT max ${input.decodeAbsInfo(ivi.t.query(input.VIRTIO_INPUT_CFG_ABS_INFO, ABS_MT_SLOT)).max}`);
console.log(`  EV_REL size ${ivi.t.query(input.VIRTIO_INPUT_CFG_EV_BITS, input.EV_REL).length} (unsupported), serial size ${ivi.t.query(input.VIRTIO_INPUT_CFG_ID_SERIAL, 0).length}`);

function show(g: Guest): void {
  for (const f of [...g.t.frames(), ...g.k.frames()]) console.log(`    ${g.name} <- ${f.map(input.formatEvent).join(', ')}`);
}
function step(what: string, fn: () => void): void {
  clock.advance(10_000);
  console.log(`\n[${ms(clock.now)}] ${what}  (focus ${router.focus})`);
  fn();
  show(cluster);
  show(ivi);
}
const down = (slot: number, id: number, x: number, y: number) => [ev(EV_ABS, ABS_MT_SLOT, slot), ev(EV_ABS, ABS_MT_TRACKING_ID, id), ev(EV_ABS, ABS_MT_POSITION_X, x), ev(EV_ABS, ABS_MT_POSITION_Y, y), ev(EV_KEY, BTN_TOUCH, 1), ev(EV_ABS, ABS_X, x), ev(EV_ABS, ABS_Y, y)];
const move = (slot: number, x: number) => [ev(EV_ABS, ABS_MT_SLOT, slot), ev(EV_ABS, ABS_MT_POSITION_X, x), ev(EV_ABS, ABS_X, x)];
const lift = (slot: number, last: boolean) => [ev(EV_ABS, ABS_MT_SLOT, slot), ev(EV_ABS, ABS_MT_TRACKING_ID, -1), ...(last ? [ev(EV_KEY, BTN_TOUCH, 0)] : [])];
const key = (code: number, value: number) => [ev(EV_KEY, code, value)];

router.setFocus('ivi');
step('finger down on the map', () => router.touch(down(0, 41, 1200, 400)));
router.setFocus('cluster');
console.log('\n-- focus moves to the cluster (a driver-assistance prompt) while the finger is down --');
step('finger drags', () => router.touch(move(0, 1260)));
step('finger lifts', () => router.touch(lift(0, true)));
step('next touch', () => router.touch(down(0, 42, 300, 200)));
step('it lifts', () => router.touch(lift(0, true)));
step('VOLUMEUP pressed', () => router.keys(key(input.KEY_VOLUMEUP, 1)));
router.setFocus('ivi');
console.log('\n-- focus moves to the IVI while VOLUMEUP is held --');
step('VOLUMEUP autorepeat, NEXTSONG pressed', () => router.keys([...key(input.KEY_VOLUMEUP, 2), ...key(input.KEY_NEXTSONG, 1)]));
step('both released', () => router.keys([...key(input.KEY_VOLUMEUP, 0), ...key(input.KEY_NEXTSONG, 0)]));
step('two-finger pinch begins', () => router.touch([...down(0, 43, 800, 300), ...down(1, 44, 1000, 300).slice(0, 4)]));
step('fingers spread, then lift', () => {
  router.touch([...move(0, 700), ev(EV_ABS, ABS_MT_SLOT, 1), ev(EV_ABS, ABS_MT_POSITION_X, 1100)]);
  router.touch([...lift(0, false), ...lift(1, true)]);
});

// The IVI guest is busy: it reads its events but posts no new buffers for a while.
console.log('\n-- the IVI guest stops reposting eventq buffers --');
ivi.t.autoRepost = false;
step(`a swipe of 12 moves, 1 ms apart, into ${ivi.t.outstanding} buffers`, () => {
  router.touch(down(0, 45, 500, 500));
  for (let i = 1; i <= 12; i++) {
    clock.advance(1_000);
    router.touch(move(0, 500 + 10 * i));
  }
  router.touch(lift(0, true));
});
console.log(`  ivi touch: ${ivi.touch.held} events held in the device, frames lost ${ivi.touch.stats.overflowFrames}`);
clock.advance(8_000);
ivi.t.autoRepost = true;
ivi.t.post(16);
console.log(`\n[${ms(clock.now)}] the IVI posts 16 buffers`);
show(ivi);

console.log('\nlatency from the physical event to the frame in the eventq (budget 5.0 ms):');
for (const g of [cluster, ivi]) {
  for (const [label, d] of [['touch', g.touch], ['keys', g.keys]] as const) {
    const l = d.stats.latency;
    console.log(`  ${g.name.padEnd(7)} ${label.padEnd(5)} frames ${l.frames}, max ${ms(l.maxUs)}, over budget ${l.overBudget}`);
  }
}
