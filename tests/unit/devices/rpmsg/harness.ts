// Shared set-up for the rpmsg tests: a platform on a model clock with a safety island (owned by
// the platform: an echo service, vehicle-signals, and a diagnostics service only the platform's
// tools may use) and a DSP owned by the infotainment guest; links for the cluster and the
// infotainment guest; firmware images with valid resource tables.
import { Loopback, type LoopbackOptions } from '../../../../src/lib/virtio/loopback.ts';
import { ModelClock } from '../../../../src/lib/virtio/model-clock.ts';
import { DEVICE_NEEDS_RESET } from '../../../../src/lib/virtio/status.ts';
import type { RingType } from '../../../../src/lib/virtio/queue-factory.ts';
import { type CoreConfig, coreConfig, CorePlatform, EchoService, type FirmwareImage, buildResourceTable, imageDigest, rpmsgVdev, RpmsgDriver, type RpmsgDriverOptions, type ResourceEntry, type ServiceFactory, VehicleSignalsService, encodeMessage, RPMSG_TX_QUEUE } from '../../../../src/lib/devices/rpmsg/index.ts';

export const ISLAND = 'safety-island';
export const DSP = 'dsp';
export const ISLAND_RAM = { base: 0x1000_0000, size: 0x20_0000 };
export const DSP_RAM = { base: 0x2000_0000, size: 0x40_0000 };
export const DSP_MAILBOX = { base: 0xff30_0000, size: 0x1000 };

export const islandTable = (extra: readonly ResourceEntry[] = []): Uint8Array =>
  buildResourceTable([{ type: 'carveout', da: ISLAND_RAM.base, pa: 0, len: 0x10_0000, flags: 0, name: 'island-ram' }, ...extra, rpmsgVdev({ vring0: ISLAND_RAM.base + 0x10_0000, vring1: ISLAND_RAM.base + 0x10_8000 })]);

export function image(name: string, services: readonly ServiceFactory[], table: Uint8Array = islandTable(), bootUs = 20_000): FirmwareImage {
  return { name, code: new TextEncoder().encode(`${name} code`), resourceTable: table, services, bootUs };
}

/** echo, vehicle-signals (10 ms), diag (an echo only the platform's tools may use). */
export const islandImage = (bootUs = 20_000) => image('island-1.0', [() => new EchoService(), () => new VehicleSignalsService(), () => new EchoService('diag')], islandTable(), bootUs);
export const dspTable = () => buildResourceTable([{ type: 'carveout', da: DSP_RAM.base, pa: 0, len: 0x20_0000, flags: 0, name: 'dsp-ram' }, { type: 'devmem', da: 0x4000_0000, pa: DSP_MAILBOX.base, len: DSP_MAILBOX.size, flags: 0, name: 'mailbox' }, rpmsgVdev({ vring0: DSP_RAM.base + 0x20_0000, vring1: DSP_RAM.base + 0x20_8000 })]);
export const dspImage = () => image('dsp-audio-2.3', [() => new EchoService('audio-dsp')], dspTable(), 5_000);

export interface Rig {
  clock: ModelClock;
  platform: CorePlatform;
}

export function platformRig(islandOverrides: Partial<CoreConfig> = {}, img: FirmwareImage = islandImage(), start = true): Rig {
  const clock = new ModelClock();
  const platform = new CorePlatform({
    clock,
    cores: [
      coreConfig({
        id: ISLAND,
        owner: 'platform',
        memory: { windows: [ISLAND_RAM], peripherals: [] },
        approved: [imageDigest(img)],
        links: [
          { guest: 'cluster', services: ['rpmsg-client-sample', 'vehicle-signals'] },
          { guest: 'ivi', services: ['vehicle-signals'] },
        ],
        ...islandOverrides,
      }),
      coreConfig({ id: DSP, owner: 'ivi', memory: { windows: [DSP_RAM], peripherals: [DSP_MAILBOX] }, approved: [imageDigest(dspImage())], links: [{ guest: 'ivi', services: ['audio-dsp'] }] }),
    ],
  });
  if (start) {
    const l = platform.load('platform', ISLAND, img);
    if (!l.ok) throw new Error(`load: ${l.error}`);
    platform.start('platform', ISLAND);
    clock.advance(img.bootUs);
  }
  return { clock, platform };
}

export interface Guest extends Rig {
  lb: Loopback;
  drv: RpmsgDriver;
}

/** A guest's driver on its link to `core` (the island by default), over `ring`. */
export function guest(ring: RingType, r: Rig = platformRig(), name = 'cluster', core = ISLAND, opts: { lb?: Partial<LoopbackOptions>; drv?: RpmsgDriverOptions } = {}): Guest {
  const dev = r.platform.link(name, core);
  if (!dev) throw new Error(`no link ${name}/${core}`);
  const lb = new Loopback(dev, { ring, queueSize: 16, ...opts.lb });
  return { ...r, lb, drv: new RpmsgDriver(lb, opts.drv) };
}

export const needsReset = (lb: Loopback): boolean => (lb.status & DEVICE_NEEDS_RESET) !== 0;
export const text = (s: string) => new TextEncoder().encode(s);
export const str = (b: Uint8Array) => new TextDecoder().decode(b);

/** Sends raw transmit-queue bytes (any split) and returns the used length of that buffer. */
export function rawTx(lb: Loopback, parts: readonly Uint8Array[], inLens: readonly number[] = []): number {
  return lb.request(RPMSG_TX_QUEUE, parts, inLens).len;
}

export const msg = encodeMessage;
