// A driver bug on a split ring: a descriptor chain that loops. The device detects it, reports DESC_LOOP, stops the queue and asks for a reset; after the reset it works again.
import {
  ACKNOWLEDGE,
  ChainWriter,
  DEVICE_NEEDS_RESET,
  DRIVER,
  DRIVER_OK,
  type DeviceEnv,
  type Features,
  FEATURES_OK,
  featureSet,
  GuestMemory,
  readChain,
  split,
  VIRTIO_F_VERSION_1,
  VirtioDevice,
} from '../src/lib/index.ts';

/** A device with one queue that answers each request with its bytes reversed. */
class ReverseDevice extends VirtioDevice {
  readonly deviceId = 0x7f; // not a registered device type: for this example only
  readonly name = 'reverse';
  constructor() {
    super(0);
  }
  protected deviceFeatures(): Features {
    return 0n;
  }
  queueCount(): number {
    return 1;
  }
  queueNotify(index: number): void {
    // drain() pops every available chain, and stops at the first driver error (reported via env.needsReset).
    this.drain(index, (chain) => {
      const w = new ChainWriter(this.env.mem, chain);
      return w.write(readChain(this.env.mem, chain).reverse());
    });
  }
}

const SIZE = 4;
const features = featureSet(VIRTIO_F_VERSION_1);
const mem = GuestMemory.create(0x2000);
const config = { size: SIZE, descAddr: 0x100, driverAddr: 0x200, deviceAddr: 0x300 };
const statusNames: [number, string][] = [
  [ACKNOWLEDGE, 'ACKNOWLEDGE'],
  [DRIVER, 'DRIVER'],
  [FEATURES_OK, 'FEATURES_OK'],
  [DRIVER_OK, 'DRIVER_OK'],
  [DEVICE_NEEDS_RESET, 'DEVICE_NEEDS_RESET'],
];
const showStatus = (s: number) => statusNames.filter(([bit]) => s & bit).map(([, n]) => n).join(' | ');

// What a transport does at DRIVER_OK: hand the device its queue and listen for trouble.
const device = new ReverseDevice();
let status = 0;
let driver: split.SplitDriverQueue;
function start(): void {
  status = ACKNOWLEDGE | DRIVER | FEATURES_OK;
  driver = new split.SplitDriverQueue(mem, config, features); // zeroes all three parts
  const env: DeviceEnv = {
    mem,
    features,
    queues: [new split.SplitDeviceQueue(mem, config, features)],
    notifyUsed: () => {},
    needsReset: (error) => {
      // §2.1.2: the transport sets DEVICE_NEEDS_RESET and notifies the driver.
      console.log(status & DEVICE_NEEDS_RESET ? `device still refuses: ${error.code}` : `device reports ${error.message}`);
      status |= DEVICE_NEEDS_RESET;
    },
  };
  status |= DRIVER_OK;
  device.activate(env);
  console.log(`status: ${showStatus(status)}`);
}

function request(word: string): void {
  mem.write(0x1000, new TextEncoder().encode(word));
  driver.add([
    { addr: 0x1000, len: word.length, writable: false },
    { addr: 0x1100, len: 16, writable: true },
  ]);
  if (driver.kickNeeded()) device.queueNotify(0);
  const u = driver.pollUsed();
  console.log(u ? `request "${word}" -> "${new TextDecoder().decode(mem.read(0x1100, u.len))}"` : `request "${word}" -> no answer`);
}

start();
request('virtio');

// A buggy driver links descriptor 2 to 3 and 3 back to 2, and publishes 2 as a head.
console.log('\nthe driver publishes a chain 2 -> 3 -> 2 -> ...');
const w = (i: number, next: number) =>
  split.writeSplitDesc(mem, split.descAddrOf(config.descAddr, i), { addr: 0x1000n, len: 4, flags: split.VIRTQ_DESC_F_NEXT, next });
w(2, 3);
w(3, 2);
const idx = split.readAvailIdx(mem, config);
split.writeAvailEntry(mem, config, idx % SIZE, 2);
split.writeAvailIdx(mem, config, idx + 1);
device.queueNotify(0);
console.log(`status: ${showStatus(status)}`);

// The queue stays stopped: a correct request after the bad one is not served.
request('again');

// The driver resets the device (§2.4) and sets the queue up anew.
console.log('\nthe driver resets the device and starts over');
device.reset();
start();
request('works');
