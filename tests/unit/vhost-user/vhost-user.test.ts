// The vhost-user back end against a scripted front end over a real Unix socket: set-up, a ring
// started from a given state and read back, and malformed input that must end in a logged error
// and a clean disconnect while the server keeps serving.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { EntropyDevice } from '../../../src/lib/devices/entropy/index.ts';
import { featureSet, VIRTIO_F_RING_PACKED, VIRTIO_F_VERSION_1 } from '../../../src/lib/virtio/feature-bits.ts';
import { GuestMemory } from '../../../src/lib/virtio/memory.ts';
import { createDriverQueue } from '../../../src/lib/virtio/queue-factory.ts';
import { makeEventFd } from '../../../src/lib/vhost-user/ffi.ts';
import { PollLoop } from '../../../src/lib/vhost-user/poll-loop.ts';
import {
  decodePackedBase, encodeMessage, encodePackedBase, FLAG_VERSION, parseHeader, PROTOCOL_F, ProtocolError, readMemTable, REQ, u64Payload,
  VHOST_USER_F_PROTOCOL_FEATURES, vringStatePayload,
} from '../../../src/lib/vhost-user/protocol.ts';
import { VhostUserServer } from '../../../src/lib/vhost-user/server.ts';
import { NetResponder, inetChecksum } from '../../../src/lib/vhost-user/net-responder.ts';
import { parseArgs } from '../../../src/lib/vhost-user/cli-args.ts';
import { RING_TYPES } from '../../support/rings.ts';
import { FrontEnd, GUEST_BASE } from './front-end.ts';

describe('vhost-user wire format', () => {
  it('parses a header and refuses a bad version or an oversized payload', () => {
    expect(parseHeader(encodeMessage(REQ.GET_FEATURES, FLAG_VERSION))).toEqual({ request: 1, flags: 1, size: 0 });
    expect(() => parseHeader(encodeMessage(REQ.GET_FEATURES, 2))).toThrow(ProtocolError);
    const big = encodeMessage(REQ.SET_CONFIG, FLAG_VERSION);
    new DataView(big.buffer).setUint32(8, 1 << 20, true);
    expect(() => parseHeader(big)).toThrow(/exceeds/);
    expect(() => parseHeader(new Uint8Array(5))).toThrow(/truncated/);
  });

  it('reads a memory table and refuses a short or empty one', () => {
    const p = new Uint8Array(40);
    const dv = new DataView(p.buffer);
    dv.setUint32(0, 1, true);
    dv.setBigUint64(8, 0x1000n, true);
    dv.setBigUint64(16, 0x2000n, true);
    expect(readMemTable(p)).toEqual([{ guestAddr: 0x1000n, size: 0x2000n, userAddr: 0n, mmapOffset: 0n }]);
    expect(() => readMemTable(p.subarray(0, 20))).toThrow(/expected at least 40/);
    expect(() => readMemTable(new Uint8Array(8))).toThrow(/0 regions/);
  });

  it('carries a packed ring state in 32 bits: positions and wrap counters of both sides', () => {
    const s = { nextAvail: 5, availWrap: false, nextUsed: 3, usedWrap: true };
    expect(encodePackedBase(s)).toBe((5 | (0x8003 << 16)) >>> 0);
    expect(decodePackedBase(encodePackedBase(s))).toEqual(s);
    expect(decodePackedBase(0x80008000)).toEqual({ nextAvail: 0, availWrap: true, nextUsed: 0, usedWrap: true });
  });

  it('the network responder answers ARP and ICMP echo for its address only, with valid checksums', () => {
    const r = new NetResponder({ mac: '52:54:00:00:00:02', ip: '10.0.2.2' });
    const arp = new Uint8Array(42);
    arp.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0, 0x12, 0x34, 0x56, 0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1]);
    arp.set([0x52, 0x54, 0, 0x12, 0x34, 0x56, 10, 0, 2, 15], 22);
    arp.set([10, 0, 2, 2], 38);
    const reply = r.answer(arp)!;
    expect([...reply.subarray(20, 22)]).toEqual([0, 2]);
    expect([...reply.subarray(28, 32)]).toEqual([10, 0, 2, 2]);
    arp[41] = 3;
    expect(r.answer(arp)).toBeNull();
    const ping = new Uint8Array(14 + 20 + 16);
    ping.set([0x52, 0x54, 0, 0, 0, 2, 0x52, 0x54, 0, 0x12, 0x34, 0x56, 0x08, 0x00]);
    ping.set([0x45, 0, 0, 36, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 2, 15, 10, 0, 2, 2], 14);
    ping.set([8, 0, 0, 0, 0, 1, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8], 34);
    const echo = r.answer(ping)!;
    expect(echo[34]).toBe(0);
    expect(inetChecksum(echo.subarray(14, 34))).toBe(0);
    expect(inetChecksum(echo.subarray(34))).toBe(0);
    expect([...echo.subarray(30, 34)]).toEqual([10, 0, 2, 15]);
  });
});

describe('npm run vhost-user arguments', () => {
  it('needs a known device and a socket, and refuses options the device does not have', () => {
    expect(parseArgs(['--device', 'blk', '--socket', '/tmp/x', '--size-mib', '8', '--read-only'])).toEqual({
      device: 'blk', socket: '/tmp/x', opts: { 'size-mib': '8', 'read-only': true }, quiet: false,
    });
    expect(() => parseArgs(['--socket', '/tmp/x'])).toThrow(/--device is required/);
    expect(() => parseArgs(['--device', 'gpu', '--socket', '/tmp/x'])).toThrow(/one of rng, blk, net, vsock, fs/);
    expect(() => parseArgs(['--device', 'rng'])).toThrow(/--socket is required/);
    expect(() => parseArgs(['--device', 'rng', '--socket', '/tmp/x', '--size-mib', '8'])).toThrow(/--size-mib is not an option of rng/);
  });
});

let loop: PollLoop;
let dir: string;
beforeAll(() => {
  loop = new PollLoop();
  dir = mkdtempSync(join(tmpdir(), 'avp-vhost-test-'));
});
afterAll(() => {
  loop.stop();
  rmSync(dir, { recursive: true, force: true });
});

function serve(name: string): { server: VhostUserServer; device: EntropyDevice; log: string[]; logged: (re: RegExp, from: number) => Promise<void> } {
  const log: string[] = [];
  const waiters: (() => void)[] = [];
  const device = new EntropyDevice();
  const server = new VhostUserServer({
    socketPath: join(dir, name),
    loop,
    device: () => ({ device, queueNum: 1 }),
    log: (level, msg) => {
      log.push(`${level}: ${msg}`);
      for (const w of waiters.splice(0)) w();
    },
  });
  /** Resolves once a line from index `from` on matches. */
  const logged = async (re: RegExp, from: number) => {
    while (!log.slice(from).some((l) => re.test(l))) await new Promise<void>((r) => waiters.push(r));
  };
  return { server, device, log, logged };
}

const SIZE = 1 << 20;
const RING = { desc: GUEST_BASE + 0x1000, avail: GUEST_BASE + 0x2000, used: GUEST_BASE + 0x3000 };

describe.each(RING_TYPES)('vhost-user back end serving virtio-rng (%s ring)', (ring) => {
  const features = featureSet(VIRTIO_F_VERSION_1, ...(ring === 'packed' ? [VIRTIO_F_RING_PACKED] : []));
  const servers: VhostUserServer[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });

  it(`${ring === 'split' ? '[AVP-VQ-1] ' : ''}starts a ring from SET_VRING_BASE next to an index wrap, serves it, and reports it back with GET_VRING_BASE`, async () => {
    const { server, device, log } = serve(`rng-${ring}.sock`);
    servers.push(server);
    const fe = new FrontEnd(server.socketPath, loop);
    const offered = await fe.u64(REQ.GET_FEATURES);
    expect(offered & (1n << BigInt(VHOST_USER_F_PROTOCOL_FEATURES))).not.toBe(0n);
    expect(offered & features).toBe(features);
    const proto = await fe.u64(REQ.GET_PROTOCOL_FEATURES);
    expect(proto & (1n << BigInt(PROTOCOL_F.REPLY_ACK))).not.toBe(0n);
    expect(await fe.u64(REQ.GET_QUEUE_NUM)).toBe(1n);
    fe.send(REQ.SET_FEATURES, u64Payload(features)); // no protocol features: rings start enabled
    fe.setMemTable(SIZE);
    const mem = new GuestMemory([{ base: GUEST_BASE, bytes: fe.ram!.bytes }]);
    const config = { size: 8, descAddr: RING.desc, driverAddr: RING.avail, deviceAddr: RING.used };
    let base: number;
    let driver;
    if (ring === 'split') {
      driver = createDriverQueue(mem, config, features, { start: { index: 65533 } });
      mem.writeU16(RING.used + 2, 65533); // a ring stopped after 65,533 requests: used idx in guest memory
      base = 65533;
    } else {
      driver = createDriverQueue(mem, config, features, { start: { slot: 6, wrap: false } });
      base = encodePackedBase({ nextAvail: 6, availWrap: false, nextUsed: 6, usedWrap: false });
    }
    const { kick, call } = fe.setVring(0, 8, base, RING);
    onTestFailed(() => console.log(log.join('\n')));
    const tokens = [0, 1, 2, 3].map((i) => driver.add([{ addr: GUEST_BASE + 0x8000 + 64 * i, len: 64, writable: true }]));
    const called = fe.called(call);
    fe.kick(kick);
    await called;
    const used = [];
    for (let u = driver.pollUsed(); u; u = driver.pollUsed()) used.push(u);
    expect(used.map((u) => u.id)).toEqual(tokens);
    expect(used.every((u) => u.len === 64)).toBe(true);
    expect(mem.read(GUEST_BASE + 0x8000, 256).some((b) => b !== 0)).toBe(true);
    expect(device.active).toBe(true);
    const state = new DataView((await fe.request(REQ.GET_VRING_BASE, vringStatePayload({ index: 0, num: 0 }))).buffer);
    if (ring === 'split') expect(state.getUint32(4, true)).toBe((65533 + 4) & 0xffff);
    else expect(decodePackedBase(state.getUint32(4, true))).toEqual({ nextAvail: 2, availWrap: true, nextUsed: 2, usedWrap: true });
    // Every ring stopped: the device is reset until the front end starts one again.
    expect(device.active).toBe(false);
    fe.close();
  });
});

describe('vhost-user back end with a front end that breaks the protocol', () => {
  let s: ReturnType<typeof serve>;
  beforeAll(() => {
    s = serve('broken.sock');
  });
  afterAll(() => s.server.close());

  /** Runs `misbehave`, expects the logged error and a disconnect, then a healthy new connection. */
  async function expectDisconnect(misbehave: (fe: FrontEnd) => void, error: RegExp): Promise<void> {
    const mark = s.log.length;
    const fe = new FrontEnd(s.server.socketPath, loop);
    misbehave(fe);
    await fe.closedByBackend();
    await s.logged(error, mark);
    fe.close();
    const next = new FrontEnd(s.server.socketPath, loop);
    expect((await next.u64(REQ.GET_FEATURES)) & 1n << 32n).not.toBe(0n);
    const closing = s.log.length;
    next.close();
    await s.logged(/front end disconnected/, closing);
  }

  it('an unknown request', async () => {
    await expectDisconnect((fe) => fe.send(99), /error: request 99: unsupported request/);
  });

  it('a kick for a queue the device does not have', async () => {
    await expectDisconnect((fe) => fe.send(REQ.SET_VRING_KICK, u64Payload(5n), [loopFd()]), /SET_VRING_KICK: queue 5 does not exist/);
  });

  it('a kick for a queue never set up', async () => {
    await expectDisconnect((fe) => {
      fe.send(REQ.SET_FEATURES, u64Payload(featureSet(VIRTIO_F_VERSION_1)));
      fe.setMemTable(SIZE);
      fe.send(REQ.SET_VRING_KICK, u64Payload(0n), [loopFd()]);
    }, /queue 0 started before SET_VRING_ADDR/);
  });

  it('a ring address outside the memory table', async () => {
    await expectDisconnect((fe) => {
      fe.send(REQ.SET_FEATURES, u64Payload(featureSet(VIRTIO_F_VERSION_1)));
      fe.setMemTable(SIZE);
      fe.setVring(0, 8, 0, { ...RING, used: GUEST_BASE + SIZE - 8 });
    }, /outside the memory table/);
  });

  it('a payload too short for its request', async () => {
    await expectDisconnect((fe) => fe.send(REQ.SET_VRING_NUM, new Uint8Array(4)), /SET_VRING_NUM: payload of 4 bytes, expected at least 8/);
  });

  it('a memory table without its file descriptor', async () => {
    await expectDisconnect((fe) => {
      const p = new Uint8Array(40);
      new DataView(p.buffer).setUint32(0, 1, true);
      new DataView(p.buffer).setBigUint64(16, 4096n, true);
      fe.send(REQ.SET_MEM_TABLE, p);
    }, /1 regions but 0 file descriptors/);
  });

  it('a header with a wrong version', async () => {
    await expectDisconnect((fe) => fe.sendRaw(encodeMessage(REQ.GET_FEATURES, 0)), /version 0, expected 1/);
  });

  it('a message cut short by the front end closing', async () => {
    const mark = s.log.length;
    const fe = new FrontEnd(s.server.socketPath, loop);
    const m = encodeMessage(REQ.SET_VRING_NUM, FLAG_VERSION, new Uint8Array(8));
    fe.sendRaw(m.subarray(0, 16));
    fe.close();
    await s.logged(/in the middle of a message \(truncated SET_VRING_NUM\)/, mark);
    await s.logged(/connection closed/, mark);
    const next = new FrontEnd(s.server.socketPath, loop);
    expect((await next.u64(REQ.GET_FEATURES)) & 1n << 32n).not.toBe(0n);
    const closing = s.log.length;
    next.close();
    await s.logged(/front end disconnected/, closing);
  });
});

describe('npm run vhost-user', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, ['src/lib/vhost-user/cli.ts', ...args], { encoding: 'utf8', timeout: 20_000 });

  it('explains a bad option and exits 2 without taking the socket', () => {
    const r = cli(['--device', 'blk', '--socket', join(dir, 'cli.sock'), '--sise-mib', '8']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--sise-mib is not an option of blk/);
    expect(r.stderr).toMatch(/usage: npm run vhost-user/);
  });

  it('refuses a socket path another back end listens on, and a path that is not a socket', () => {
    const { server } = serve('busy.sock');
    try {
      const r = cli(['--device', 'rng', '--socket', server.socketPath]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/is in use by another process/);
    } finally {
      server.close();
    }
    const file = join(dir, 'plain-file');
    writeFileSync(file, '');
    const r = cli(['--device', 'rng', '--socket', file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/exists and is not a socket/);
  });
});

function loopFd(): number {
  return makeEventFd();
}
