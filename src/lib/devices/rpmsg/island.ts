// A ready-made safety island: its firmware image (an echo service, vehicle-signals and a
// diagnostics service) and a platform that runs it with one guest link. The conformance vectors
// use it, so that a vector names only the guest's view; the example builds its platform by hand.
import { ModelClock } from '../../virtio/model-clock.ts';
import type { RpmsgDevice } from './device.ts';
import { type FirmwareImage, imageDigest } from './firmware.ts';
import { coreConfig, CorePlatform } from './platform.ts';
import { buildResourceTable, rpmsgVdev } from './resource-table.ts';
import { EchoService, VehicleSignalsService } from './services.ts';

export const ISLAND_RAM = { base: 0x1000_0000, size: 0x20_0000 } as const;

/** Services at 1024 (rpmsg-client-sample, an echo), 1025 (vehicle-signals, 10 ms) and 1026 (diag, an echo). */
export function safetyIslandImage(bootUs = 20_000): FirmwareImage {
  return {
    name: 'safety-island-1.0',
    code: new TextEncoder().encode('safety island firmware 1.0'),
    resourceTable: buildResourceTable([
      { type: 'carveout', da: ISLAND_RAM.base, pa: 0, len: 0x10_0000, flags: 0, name: 'island-ram' },
      rpmsgVdev({ vring0: ISLAND_RAM.base + 0x10_0000, vring1: ISLAND_RAM.base + 0x10_8000 }),
    ]),
    services: [() => new EchoService(), () => new VehicleSignalsService(), () => new EchoService('diag')],
    bootUs,
  };
}

/**
 * The link of guest "vector" to a safety island owned by the platform, granted the echo and
 * vehicle-signals services but not diag; the island running (or never started) at model time
 * 0 (it boots in no time), the clock never moving unless the caller moves it.
 */
export function islandLink(opts: { running?: boolean; backlog?: number } = {}): { link: RpmsgDevice; platform: CorePlatform } {
  const image = safetyIslandImage(0);
  const platform = new CorePlatform({
    clock: new ModelClock(),
    cores: [coreConfig({ id: 'safety-island', owner: 'platform', memory: { windows: [ISLAND_RAM], peripherals: [] }, approved: [imageDigest(image)], links: [{ guest: 'vector', services: ['rpmsg-client-sample', 'vehicle-signals'], backlog: opts.backlog }] })],
  });
  platform.load('platform', 'safety-island', image);
  if (opts.running ?? true) platform.start('platform', 'safety-island');
  return { link: platform.link('vector', 'safety-island')!, platform };
}
