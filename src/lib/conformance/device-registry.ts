// The device models a device vector may name, each with the options a vector may set. Options
// are checked against a schema so that a typo in a hand-written vector is an error that names
// the option, not a silently ignored field.
import { z } from 'zod';
import { BlockDevice } from '../devices/block/device.ts';
import { MemoryBlockBackend } from '../devices/block/backend.ts';
import { EntropyDevice } from '../devices/entropy/device.ts';
import { DeterministicEntropySource } from '../devices/entropy/source.ts';
import { NetDevice } from '../devices/net/device.ts';
import { CanBus } from '../devices/can/bus.ts';
import { ConsoleDevice } from '../devices/console/device.ts';
import { CanDevice } from '../devices/can/device.ts';
import { CAN_RX_OVERFLOW_POLICIES } from '../devices/can/rx.ts';
import { FsDevice } from '../devices/fs/device.ts';
import { MemFs } from '../devices/fs/memfs.ts';
import { FsShare } from '../devices/fs/share.ts';
import { InputDevice } from '../devices/input/device.ts';
import { absPointerProfile, keyboardProfile, relPointerProfile, steeringKeysProfile, touchscreenProfile } from '../devices/input/profile.ts';
import { GpuDevice } from '../devices/gpu/device.ts';
import { CameraDevice, CameraSensor, DecoderDevice, MediaClock } from '../devices/media/index.ts';
import * as snd from '../devices/sound/index.ts';
import { MemoryRpmbStore, RpmbDevice } from '../devices/rpmb/index.ts';
import { CryptoDevice, Hsm } from '../devices/crypto/index.ts';
import { GptpTime, GuestCounter, HostTaiClock, RtcDevice, Timebase, VIRTIO_RTC_COUNTER_ARM_VCT, VIRTIO_RTC_COUNTER_X86_TSC } from '../devices/rtc/index.ts';
import { islandLink } from '../devices/rpmsg/island.ts';
import type { VirtioDevice } from '../virtio/device.ts';
import { hexBytes } from './parse-vector.ts';
import * as balloonModel from '../devices/balloon/index.ts';
import * as memModel from '../devices/mem/index.ts';
import * as gpio from '../devices/gpio/index.ts';
import * as i2c from '../devices/i2c/index.ts';
import * as spi from '../devices/spi/index.ts';
import { ModelClock } from '../virtio/model-clock.ts';
import * as scmi from '../devices/scmi/index.ts';
import * as iommuModel from '../devices/iommu/index.ts';
import { GuestMemory } from '../virtio/memory.ts';
import * as bluetooth from '../devices/bluetooth/index.ts';

const hex = z.string().regex(/^([0-9a-fA-F]{2}|[\s_])*$/, 'pairs of hex digits');

export interface DeviceModelEntry {
  readonly model: string;
  readonly summary: string;
  readonly options: z.ZodType;
  create(options: unknown): VirtioDevice;
}

// #region device-registry
const blkOptions = z
  .object({
    sectors: z.number().int().min(0).max(1 << 20),
    /** Initial disk contents from sector 0, as hex. */
    contents: hex.optional(),
    readOnly: z.boolean().optional(),
    serial: z.string().max(20).optional(),
    numQueues: z.number().int().min(1).max(16).optional(),
    writeback: z.boolean().optional(),
  })
  .strict();

const rngOptions = z.object({ seed: z.number().int().nonnegative().optional(), maxBytesPerRequest: z.number().int().positive().optional() }).strict();

const netOptions = z
  .object({
    mac: z.string().regex(/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/, 'a MAC address such as 52:54:00:00:00:01').optional(),
    mtu: z.number().int().optional(),
    maxQueuePairs: z.number().int().positive().optional(),
    linkUp: z.boolean().optional(),
  })
  .strict();

const canOptions = z
  .object({
    bitrate: z.number().int().optional(),
    dataBitrate: z.number().int().nullable().optional(),
    fd: z.boolean().optional(),
    rtr: z.boolean().optional(),
    lateTxAck: z.boolean().optional(),
    rxBacklog: z.number().int().min(0).max(4096).optional(),
    rxOverflow: z.enum(CAN_RX_OVERFLOW_POLICIES).optional(),
  })
  .strict();

const fsOptions = z
  .object({
    tag: z.string().min(1).max(36),
    readOnly: z.boolean().optional(),
    /** Files of the share: path to UTF-8 contents; folders are made as needed. */
    files: z.record(z.string().regex(/^\/[^\0]*$/, 'an absolute path'), z.string()).optional(),
  })
  .strict();

const consoleOptions = z
  .object({
    maxPorts: z.number().int().min(1).max(0x7fff).optional(),
    emergencyWrite: z.boolean().optional(),
  })
  .strict();

const gpuOptions = z
  .object({
    scanouts: z.number().int().min(1).max(16).optional(),
    edid: z.boolean().optional(),
    /** Output size of each scanout (null: nothing connected); default 1024x768 on scanout 0. */
    modes: z.array(z.object({ width: z.number().int().min(1).max(4095), height: z.number().int().min(1).max(4095) }).strict().nullable()).max(16).optional(),
    /** Capability sets of a host renderer; any makes the device offer VIRGL and CONTEXT_INIT. */
    capsets: z.array(z.object({ id: z.number().int().min(1).max(255), maxVersion: z.number().int().nonnegative(), data: hex }).strict()).optional(),
    /** Host memory for resource images, in bytes (the OUT_OF_MEMORY budget). */
    hostMemory: z.number().int().nonnegative().optional(),
  })
  .strict();

const inputOptions = z
  .object({
    kind: z.enum(['keyboard', 'mouse', 'tablet', 'touchscreen', 'steering-keys']),
    /** Events held while the driver has no eventq buffer. */
    backlog: z.number().int().min(1).max(4096).optional(),
    /** Keys physically held when the device is created: reported at DRIVER_OK. */
    pressed: z.array(z.number().int().min(0).max(1023)).optional(),
  })
  .strict();

const INPUT_KINDS = { keyboard: keyboardProfile, mouse: relPointerProfile, tablet: absPointerProfile, touchscreen: touchscreenProfile, 'steering-keys': steeringKeysProfile } as const;

const mediaOptions = z
  .object({
    kind: z.enum(['camera', 'decoder']),
    /** Camera: the guest's role under the access policy; default owner. */
    role: z.enum(['owner', 'viewer']).optional(),
    card: z.string().min(1).max(32).optional(),
    /** Decoder: sessions open at once. */
    maxSessions: z.number().int().min(1).max(64).optional(),
  })
  .strict();

const sndOptions = z.object({ topology: z.enum(['infotainment', 'chime']), eventBacklog: z.number().int().min(1).max(4096).optional() }).strict();

const rpmbOptions = z
  .object({
    /** In 128 KiB units; default 1. */
    capacity: z.number().int().min(1).max(0x80).optional(),
    maxWrCnt: z.number().int().min(0).max(255).optional(),
    maxRdCnt: z.number().int().min(0).max(255).optional(),
    /** The write counter of a part that has seen use (0xFFFFFFFF: expired). */
    initialCounter: z.number().int().min(0).max(0xffff_ffff).optional(),
  })
  .strict();

const cryptoOptions = z
  .object({
    dataQueues: z.number().int().min(1).max(16).optional(),
    maxSize: z.number().int().min(1).max(1 << 20).optional(),
    maxSessions: z.number().int().min(1).max(256).optional(),
    /** Whether a guest may open sessions on key bytes it sends; default true. */
    acceptGuestKeys: z.boolean().optional(),
    /** Keys the platform provisions for this guest, by handle, as hex. */
    keys: z.array(z.object({ handle: z.number().int().min(0).max(0xffff_ffff), kind: z.enum(['aes', 'hmac']), bytes: hex, uses: z.array(z.enum(['encrypt', 'decrypt', 'mac'])) }).strict()).optional(),
  })
  .strict();

const rtcOptions = z
  .object({
    /** Model time when the device is made, in nanoseconds: what the monotonic clock reads. */
    modelTimeNs: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    /** Whether the host clock has synchronized to gPTP; default true. Never synchronized, TAI and UTC reads fail. */
    synchronized: z.boolean().optional(),
    /** The host clock's offset from the gPTP time, in nanoseconds; default 0. */
    residualNs: z.number().int().min(-1_000_000_000).max(1_000_000_000).optional(),
    /** The platform's documented bound on the host clock's error, in nanoseconds; default 1000. */
    boundNs: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    /** The guest counter the device cross-timestamps against, at 25 MHz from 0; default arm-vct. */
    counter: z.enum(['arm-vct', 'x86-tsc', 'none']).optional(),
    /** Offer VIRTIO_RTC_F_ALARM; default true. */
    alarm: z.boolean().optional(),
  })
  .strict();

/** The gPTP domain's TAI when an RTC vector's model time is zero: 2026-04-08 00:00:37 TAI. */
const RTC_TAI_AT_ZERO_NS = 1_775_606_437_000_000_000n;

export const DEVICE_MODELS: readonly DeviceModelEntry[] = [
  {
    model: 'virtio-blk',
    summary: 'block device over an in-memory disk',
    options: blkOptions,
    create: (o) => {
      const { sectors, contents, ...rest } = blkOptions.parse(o);
      return new BlockDevice(new MemoryBlockBackend({ sectors, contents: contents ? hexBytes(contents) : undefined }), rest);
    },
  },
  {
    model: 'virtio-rng',
    summary: 'entropy device with a seeded deterministic source',
    options: rngOptions,
    create: (o) => {
      const { seed, maxBytesPerRequest } = rngOptions.parse(o);
      return new EntropyDevice({ source: new DeterministicEntropySource(seed), maxBytesPerRequest });
    },
  },
  {
    model: 'virtio-net',
    summary: 'network device without a peer (control queue and configuration)',
    options: netOptions,
    create: (o) => new NetDevice(netOptions.parse(o)),
  },
  {
    model: 'virtio-console',
    summary: 'console with port 0 and, above one port, the multiport control queues; no host side attached',
    options: consoleOptions,
    create: (o) => new ConsoleDevice(consoleOptions.parse(o)),
  },
  {
    model: 'virtio-can',
    summary: 'CAN controller alone on a virtual bus (default 500 kbit/s, FD data phase 2 Mbit/s)',
    options: canOptions,
    create: (o) => {
      const { bitrate, dataBitrate, ...dev } = canOptions.parse(o);
      const device = new CanDevice(dev);
      new CanBus({ name: 'vector', bitrate: bitrate ?? 500_000, dataBitrate: dataBitrate === undefined ? 2_000_000 : dataBitrate }).attach(device);
      return device;
    },
  },
  {
    model: 'virtio-fs',
    summary: 'file system device sharing an in-memory tree',
    options: fsOptions,
    create: (o) => {
      const { tag, readOnly, files } = fsOptions.parse(o);
      const tree = new MemFs();
      for (const [path, text] of Object.entries(files ?? {})) tree.writeFile(path, text); // makes the folders
      return new FsDevice({ tag, share: new FsShare(tree, { readOnly }) });
    },
  },
  {
    model: 'virtio-gpu',
    summary: '2D GPU on a standalone display (no compositor); capsets only if given',
    options: gpuOptions,
    create: (o) => {
      const { capsets, hostMemory, ...rest } = gpuOptions.parse(o);
      return new GpuDevice({
        ...rest,
        capsets: capsets?.map((c) => ({ id: c.id, maxVersion: c.maxVersion, data: hexBytes(c.data) })),
        limits: hostMemory === undefined ? undefined : { hostMemory },
      });
    },
  },
  {
    model: 'virtio-input',
    summary: 'input device of one kind (keyboard, mouse, tablet, touchscreen, steering-wheel keys) with no source attached',
    options: inputOptions,
    create: (o) => {
      const { kind, ...rest } = inputOptions.parse(o);
      return new InputDevice({ profile: INPUT_KINDS[kind](), ...rest });
    },
  },
  {
    model: 'virtio-media',
    summary: 'media device: a rear-view camera (V4L2 capture, model-time sensor) or a toy-codec decoder (V4L2 M2M); no clock advance, so a camera returns no frames',
    options: mediaOptions,
    create: (o) => {
      const { kind, role, card, maxSessions } = mediaOptions.parse(o);
      if (kind === 'decoder') return new DecoderDevice({ card, maxSessions });
      return new CameraDevice({ sensor: new CameraSensor({ clock: new MediaClock() }), role, card });
    },
  },
  {
    model: 'virtio-snd',
    summary: 'sound device (infotainment: media, voice, microphone and a jack; or chime: one safety stream) on its own model clock, nothing routed',
    options: sndOptions,
    create: (o) => {
      const { topology, eventBacklog } = sndOptions.parse(o);
      return new snd.SoundDevice({ topology: topology === 'chime' ? snd.chimeTopology() : snd.infotainmentTopology(), eventBacklog });
    },
  },
  {
    model: 'virtio-rpmb',
    summary: 'RPMB device over an in-memory part with no key programmed (default 128 KiB, 2 blocks per write, 4 per read)',
    options: rpmbOptions,
    create: (o) => {
      const { capacity, maxWrCnt, maxRdCnt, initialCounter } = rpmbOptions.parse(o);
      return new RpmbDevice({ store: new MemoryRpmbStore({ capacity: capacity ?? 1, maxWrCnt: maxWrCnt ?? 2, maxRdCnt: maxRdCnt ?? 4, initialCounter }) });
    },
  },
  {
    model: 'virtio-crypto',
    summary: 'crypto device (AES-CBC, AES-CTR, SHA-256, HMAC-SHA256) for guest "guest" over its own HSM with the keys given by handle',
    options: cryptoOptions,
    create: (o) => {
      const { dataQueues, maxSize, maxSessions, acceptGuestKeys, keys } = cryptoOptions.parse(o);
      const hsm = new Hsm({ maxSessionsPerGuest: maxSessions, acceptGuestKeys });
      for (const k of keys ?? []) hsm.provision('guest', k.handle, { kind: k.kind, bytes: hexBytes(k.bytes), uses: k.uses });
      return new CryptoDevice({ hsm, guest: 'guest', dataQueues, maxSize });
    },
  },
  {
    model: 'virtio-rtc',
    summary: 'RTC device with TAI (0), UTC (1) and monotonic (2, with an alarm) clocks on a fixed model time; TAI at model time 0 is 2026-04-08 00:00:37, the host synchronized to gPTP',
    options: rtcOptions,
    create: (o) => {
      const { modelTimeNs, synchronized, residualNs, boundNs, counter, alarm } = rtcOptions.parse(o);
      const timebase = new Timebase();
      timebase.advance(modelTimeNs ?? 0);
      const host = new HostTaiClock(new GptpTime(timebase, RTC_TAI_AT_ZERO_NS));
      if (synchronized ?? true) host.discipline(residualNs ?? 0);
      const id = counter === 'x86-tsc' ? VIRTIO_RTC_COUNTER_X86_TSC : VIRTIO_RTC_COUNTER_ARM_VCT;
      const counters = counter === 'none' ? [] : [new GuestCounter(timebase, { id, hz: 25_000_000 })];
      return new RtcDevice({ timebase, host, counters, alarm, boundNs: boundNs === undefined ? undefined : BigInt(boundNs) });
    },
  },
  {
    model: 'virtio-scmi',
    summary: 'SCMI device (base and sensor protocols) for one guest of the vehicle sensor table (speed, IMU, cabin temperature) on a fixed model time, 60 ms by default, when every sensor has a sample',
    options: z
      .object({
        /** The guest: ivi (all four sensors, configures the cabin one) or cluster (the speed, which it configures); default ivi. */
        agent: z.enum(['ivi', 'cluster']).optional(),
        /** Model time when the vector starts, in µs. */
        modelTimeUs: z.number().int().min(0).max(1_000_000_000).optional(),
        maxPendingAsync: z.number().int().min(0).max(255).optional(),
      })
      .strict(),
    create(o) {
      const { agent, modelTimeUs, maxPendingAsync } = this.options.parse(o) as { agent?: string; modelTimeUs?: number; maxPendingAsync?: number };
      const clock = new ModelClock();
      const platform = new scmi.ScmiPlatform({ clock, sensors: scmi.vehicleSensorTable(), agents: scmi.VEHICLE_AGENTS, maxPendingAsync });
      clock.advance(modelTimeUs ?? 60_000);
      return new scmi.ScmiDevice({ platform, agent: agent ?? 'ivi' });
    },
  },
  {
    model: 'virtio-gpio',
    summary: 'GPIO device for one guest of a six-line table: 0 REVERSE_GEAR (read by cluster and ivi), 1 TELLTALE_LAMP (cluster), 2 AMP_MUTE, 3 TOUCH_IRQ, 4 unnamed (ivi), 5 SPARE (nobody); every input level 0',
    options: z.object({ guest: z.enum(['ivi', 'cluster']).optional(), irq: z.boolean().optional() }).strict(),
    create(o) {
      const { guest, irq } = this.options.parse(o) as { guest?: string; irq?: boolean };
      const controller = new gpio.GpioController({ lines: [{ name: 'REVERSE_GEAR', readers: ['cluster', 'ivi'] }, { name: 'TELLTALE_LAMP', owner: 'cluster' }, { name: 'AMP_MUTE', owner: 'ivi' }, { name: 'TOUCH_IRQ', owner: 'ivi' }, { owner: 'ivi' }, { name: 'SPARE' }] });
      return new gpio.GpioDevice({ controller, guest: guest ?? 'ivi', irq });
    },
  },
  {
    model: 'virtio-i2c',
    summary: 'I2C adapter on a bus without model time: the guest owns a temperature sensor at 0x48 (21.5 °C) and an erased EEPROM at 0x50; another guest owns a sensor at 0x49',
    options: z.object({}).strict(),
    create(o) {
      this.options.parse(o);
      const bus = new i2c.I2cBus({ owners: { vector: { addresses: [0x48, 0x50] }, other: { addresses: [0x49] } } });
      bus.attach(0x48, new i2c.TemperatureSensor(21.5)).attach(0x49, new i2c.TemperatureSensor(30)).attach(0x50, new i2c.Eeprom());
      return new i2c.I2cAdapterDevice({ bus, guest: 'vector' });
    },
  },
  {
    model: 'virtio-spi',
    summary: 'SPI controller (4 chip selects, 8/16/32-bit words, modes 0-3, 50 MHz) on a bus without model time: the guest owns an erased 64 KiB NOR flash on CS 0 and an ADC on CS 1 (1650 mV on channel 0); another guest owns CS 2',
    options: z.object({}).strict(),
    create(o) {
      this.options.parse(o);
      const bus = new spi.SpiBus({ owners: { vector: { chipSelects: [0, 1] }, other: { chipSelects: [2] } } });
      const adc = new spi.Adc();
      adc.inputsMv[0] = 1650;
      bus.attach(0, new spi.NorFlash()).attach(1, adc).attach(2, new spi.NorFlash());
      return new spi.SpiControllerDevice({ bus, guest: 'vector' });
    },
  },
  {
    model: 'virtio-balloon',
    summary: 'traditional memory balloon over 4096 pages (16 MiB) of guest memory, a host that backs every deflate at once; MUST_TELL_HOST, STATS_VQ, DEFLATE_ON_OOM, PAGE_POISON and PAGE_REPORTING offered, FREE_PAGE_HINT only if asked',
    options: z
      .object({
        guestPages: z.number().int().min(1).max(0x1_0000_0000).optional(),
        /** Frames the guest may not put in the balloon. */
        protectedRanges: z.array(z.object({ first: z.number().int().nonnegative(), count: z.number().int().positive() }).strict()).optional(),
        freePageHint: z.boolean().optional(),
        /** num_pages when the device is made. */
        initialTarget: z.number().int().nonnegative().optional(),
      })
      .strict(),
    create(o) {
      const opts = this.options.parse(o) as { guestPages?: number; protectedRanges?: { first: number; count: number }[]; freePageHint?: boolean; initialTarget?: number };
      return new balloonModel.BalloonDevice({ guestPages: 0x1000, ...opts });
    },
  },
  {
    model: 'virtio-mem',
    summary: 'memory device: a 64 MiB region at 4 GiB in 2 MiB blocks, requested_size 16 MiB, usable region 32 MiB, UNPLUGGED_INACCESSIBLE offered; a host that backs every plug',
    options: z
      .object({
        addr: z.number().int().nonnegative().optional(),
        regionSize: z.number().int().nonnegative().optional(),
        blockSize: z.number().int().positive().optional(),
        requestedSize: z.number().int().nonnegative().optional(),
        usableExtent: z.number().int().nonnegative().optional(),
        /** An ACPI proximity domain: offered with VIRTIO_MEM_F_ACPI_PXM. */
        nodeId: z.number().int().min(0).max(0xffff).optional(),
      })
      .strict(),
    create(o) {
      const opts = this.options.parse(o) as { addr?: number; regionSize?: number; blockSize?: number; requestedSize?: number; usableExtent?: number; nodeId?: number };
      return new memModel.MemDevice({ addr: 0x1_0000_0000, regionSize: 64 << 20, blockSize: 2 << 20, requestedSize: 16 << 20, usableExtent: 16 << 20, ...opts });
    },
  },
  {
    model: 'virtio-rpmsg',
    summary: 'rpmsg link (device ID 7, as Linux defines it) of guest "vector" to a safety island owned by the platform, running at model time 0 with rpmsg-client-sample (an echo) at 1024 and vehicle-signals at 1025 granted, and diag at 1026 not; the clock never moves',
    options: z.object({ running: z.boolean().optional(), backlog: z.number().int().min(1).max(4096).optional() }).strict(),
    create(o) {
      return islandLink(this.options.parse(o) as { running?: boolean; backlog?: number }).link;
    },
  },
  {
    model: 'virtio-bt',
    summary: 'Bluetooth device (device ID 40, as Linux defines it): an LE-only virtual controller for guest "vector" (BD_ADDR 02:A7:00:00:00:0F) alone on a physical controller, in the vehicle radio scene (phone, headphones, two tyre sensors); the clock never moves, so no advertisement is heard and no connection completes',
    options: z.object({ backlog: z.number().int().min(1).max(4096).optional() }).strict(),
    create(o) {
      const { backlog } = this.options.parse(o) as { backlog?: number };
      const platform = new bluetooth.BtPlatform({ advertisers: bluetooth.vehicleRadioScene(), controllers: [{ id: 'bt0', guests: [{ name: 'vector', address: '02:A7:00:00:00:0F', sees: 'all' }] }] });
      return platform.device('vector', { backlog });
    },
  },
  {
    model: 'virtio-iommu',
    summary: 'virtio-iommu of a guest with 1 MiB of RAM at 0, managing endpoints 1 (MSI doorbell IOVAs 0x08090000-0x0809ffff), 2 and 3; 4 KiB granule, IOVAs 0 to 2^48 - 1, domains 1 to 255, probe_size 128, bypass 0; nothing attached (no DMA)',
    options: z
      .object({
        /** Bytes of guest RAM at 0 that a MAP may name; default 1 MiB. */
        ramBytes: z.number().int().min(0x1000).max(1 << 30).optional(),
        maxMappings: z.number().int().min(1).max(1 << 16).optional(),
        /** The `bypass` field at boot (the AVP requires 0). */
        bootBypass: z.boolean().optional(),
      })
      .strict(),
    create(o) {
      const { ramBytes, maxMappings, bootBypass } = this.options.parse(o) as { ramBytes?: number; maxMappings?: number; bootBypass?: boolean };
      const msi = { subtype: iommuModel.VIRTIO_IOMMU_RESV_MEM_T_MSI, start: 0x0809_0000, end: 0x0809_ffff };
      return new iommuModel.IommuDevice({ memory: GuestMemory.create(ramBytes ?? 1 << 20), endpoints: [{ id: 1, reserved: [msi] }, { id: 2 }, { id: 3 }], maxMappings, bootBypass });
    },
  },
];
// #endregion device-registry

export function deviceModel(model: string): DeviceModelEntry | undefined {
  return DEVICE_MODELS.find((m) => m.model === model);
}
