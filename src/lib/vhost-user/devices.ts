// The reference devices `npm run vhost-user` serves, each built from command-line options, with
// what the front end needs to know beyond the model (GET_QUEUE_NUM, extra protocol features)
// and the host side a guest can talk to (a network responder, a vsock service, a shared tree).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { BlockDevice, MemoryBlockBackend } from '../devices/block/index.ts';
import { EntropyDevice } from '../devices/entropy/index.ts';
import { FsDevice, FsShare, MemFs } from '../devices/fs/index.ts';
import { NetDevice, VirtualSwitch } from '../devices/net/index.ts';
import { VsockDevice, VsockSwitch } from '../devices/vsock/index.ts';
import { CONFIG_PROTOCOL_FEATURE, type ServedDevice } from './connection.ts';
import { NetResponder } from './net-responder.ts';
import { VsockService } from './vsock-service.ts';

export const DEVICE_NAMES = ['rng', 'blk', 'net', 'vsock', 'fs'] as const;
export type DeviceName = (typeof DEVICE_NAMES)[number];

/** Options by device, as `--name value` pairs; flags carry `true`. */
export type DeviceOptions = Record<string, string | true>;

export const DEVICE_OPTIONS: Record<DeviceName, Record<string, string>> = {
  rng: {},
  blk: {
    'size-mib': 'capacity in MiB of the in-memory disk (default 64)',
    image: 'a file whose contents start the disk (copied; the file is not written)',
    'read-only': 'offer VIRTIO_BLK_F_RO',
    serial: 'the GET_ID string (default avp-vhost-blk)',
    'num-queues': 'request queues (default 1)',
  },
  net: {
    mac: 'the guest address, offered with VIRTIO_NET_F_MAC (default 52:54:00:12:34:56)',
    'peer-ip': 'the responder\'s IPv4 address on the switch (default 10.0.2.2)',
    'peer-mac': 'the responder\'s MAC address (default 52:54:00:00:00:02)',
  },
  vsock: {
    cid: 'the guest CID (default 3)',
    port: 'the host service port (default 5000)',
  },
  fs: {
    tag: 'the mount tag (default avpfs)',
    dir: 'a host directory copied into the shared tree (files only, one level deep)',
  },
};

function int(opts: DeviceOptions, name: string, dflt: number, min: number, max: number): number {
  const v = opts[name];
  if (v === undefined) return dflt;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new RangeError(`--${name}: an integer in ${min}..${max}`);
  return n;
}

function str(opts: DeviceOptions, name: string, dflt: string): string {
  const v = opts[name];
  if (v === undefined) return dflt;
  if (v === true) throw new RangeError(`--${name} needs a value`);
  return v;
}

/** Checks option names against the device's list; throws a RangeError naming the bad one. */
export function checkOptions(name: DeviceName, opts: DeviceOptions): void {
  const known = DEVICE_OPTIONS[name];
  for (const k of Object.keys(opts)) {
    if (!(k in known)) throw new RangeError(`--${k} is not an option of ${name} (${Object.keys(known).map((o) => `--${o}`).join(', ') || 'it has none'})`);
  }
}

export interface BuiltDevice extends ServedDevice {
  /** What the host side offers the guest, for logs. */
  readonly description: string;
  /** The host side, for a test to look at after a run. */
  readonly host: { readonly disk?: MemoryBlockBackend; readonly tree?: MemFs; readonly responder?: NetResponder; readonly service?: VsockService };
}

// #region build-device
export function buildDevice(name: DeviceName, opts: DeviceOptions = {}): BuiltDevice {
  checkOptions(name, opts);
  switch (name) {
    case 'rng':
      return { device: new EntropyDevice(), queueNum: 1, description: 'entropy from crypto.getRandomValues', host: {} };
    case 'blk': {
      const image = opts.image === undefined ? null : str(opts, 'image', '');
      const size = int(opts, 'size-mib', image ? Math.ceil(statSync(image).size / 1048576) || 1 : 64, 1, 4096);
      const numQueues = int(opts, 'num-queues', 1, 1, 16);
      const backend = new MemoryBlockBackend({ sectors: size * 2048, volatileCache: false, contents: image ? readFileSync(image) : undefined });
      const device = new BlockDevice(backend, { readOnly: opts['read-only'] === true, serial: str(opts, 'serial', 'avp-vhost-blk'), numQueues });
      return { device, queueNum: numQueues, protocolFeatures: CONFIG_PROTOCOL_FEATURE, description: `${size} MiB disk in memory${opts['read-only'] ? ', read-only' : ''}`, host: { disk: backend } };
    }
    case 'net': {
      const sw = new VirtualSwitch();
      const device = new NetDevice({ mac: str(opts, 'mac', '52:54:00:12:34:56') });
      sw.plug(device);
      const peerIp = str(opts, 'peer-ip', '10.0.2.2');
      const responder = new NetResponder({ mac: str(opts, 'peer-mac', '52:54:00:00:00:02'), ip: peerIp });
      sw.plug(responder);
      // The front end keeps the control queue: the back end serves the receive/transmit pair.
      return { device, queueNum: 2, description: `switch with a responder at ${peerIp} (ARP, ICMP echo)`, host: { responder } };
    }
    case 'vsock': {
      const sw = new VsockSwitch();
      const cid = int(opts, 'cid', 3, 3, 0xfffffffe);
      const device = new VsockDevice({ guestCid: cid });
      sw.attach(device);
      const port = int(opts, 'port', 5000, 1, 0xffffffff);
      const service = new VsockService(sw, port);
      // The front end keeps the event queue.
      return { device, queueNum: 2, protocolFeatures: CONFIG_PROTOCOL_FEATURE, description: `guest CID ${cid}, host service on port ${port}`, host: { service } };
    }
    case 'fs': {
      const fs = new MemFs();
      fs.writeFile('/hello.txt', 'hello from the AVP reference virtio-fs model\n');
      fs.writeFile('/scratch.txt', '.'.repeat(64), { mode: 0o666 });
      const dir = opts.dir === undefined ? null : str(opts, 'dir', '');
      if (dir) {
        for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isFile()) fs.writeFile(`/${e.name}`, readFileSync(`${dir}/${e.name}`));
      }
      const tag = str(opts, 'tag', 'avpfs');
      const device = new FsDevice({ tag, share: new FsShare(fs) });
      return { device, queueNum: 2, description: `share "${tag}" (in memory${dir ? `, from ${dir}` : ''})`, host: { tree: fs } };
    }
  }
}
// #endregion build-device

