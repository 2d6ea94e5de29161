// Device ID, queue numbering, configuration layout and offered features (VIRTIO 1.4 §5.3.1–§5.3.4).
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { bit, hasFeature } from '../../../../src/lib/virtio/feature-bits.ts';
import { ConsoleDevice } from '../../../../src/lib/devices/console/device.ts';
import * as C from '../../../../src/lib/devices/console/config.ts';
import * as F from '../../../../src/lib/devices/console/features.ts';
import * as Q from '../../../../src/lib/devices/console/queues.ts';
import { ALL, rig, without } from './harness.ts';

describe('console identity and layout', () => {
  it('[AVP-CON-1] has device ID 3 and the feature bits of §5.3.3', () => {
    expect(new ConsoleDevice().deviceId).toBe(3);
    expect(F.VIRTIO_ID_CONSOLE).toBe(3);
    expect([F.VIRTIO_CONSOLE_F_SIZE, F.VIRTIO_CONSOLE_F_MULTIPORT, F.VIRTIO_CONSOLE_F_EMERG_WRITE]).toEqual([0, 1, 2]);
  });

  it('[AVP-CON-1] numbers queues: port 0 at 0/1, control at 2/3, port n at 2(n+1) and 2(n+1)+1', () => {
    expect([Q.portReceiveQueue(0), Q.portTransmitQueue(0)]).toEqual([0, 1]);
    expect([Q.CONTROL_RECEIVEQ, Q.CONTROL_TRANSMITQ]).toEqual([2, 3]);
    for (let n = 1; n < 40; n++) {
      expect(Q.portReceiveQueue(n)).toBe(2 * (n + 1));
      expect(Q.portTransmitQueue(n)).toBe(2 * (n + 1) + 1);
      expect(Q.queueRole(2 * (n + 1))).toEqual({ kind: 'port', port: n, transmit: false });
      expect(Q.queueRole(2 * (n + 1) + 1)).toEqual({ kind: 'port', port: n, transmit: true });
    }
    expect(Q.queueRole(0)).toEqual({ kind: 'port', port: 0, transmit: false });
    expect(Q.queueRole(1)).toEqual({ kind: 'port', port: 0, transmit: true });
    expect(Q.queueRole(2)).toEqual({ kind: 'control', transmit: false });
    expect(Q.queueRole(3)).toEqual({ kind: 'control', transmit: true });
    expect(() => Q.portReceiveQueue(-1)).toThrow(RangeError);
  });

  it('[AVP-CON-1] has 2 queues without MULTIPORT and 2·max_nr_ports+2 with it', () => {
    const dev = new ConsoleDevice({ maxPorts: 5 });
    expect(dev.queueCount(ALL)).toBe(12);
    expect(dev.queueCount(without(ALL, F.VIRTIO_CONSOLE_F_MULTIPORT))).toBe(2);
    expect(new ConsoleDevice().queueCount(0n)).toBe(2);
  });

  it('[AVP-CON-2] lays out cols, rows, max_nr_ports and emerg_wr little-endian at 0, 2, 4 and 8', () => {
    expect([C.CONSOLE_CFG_COLS, C.CONSOLE_CFG_ROWS, C.CONSOLE_CFG_MAX_NR_PORTS, C.CONSOLE_CFG_EMERG_WR, C.CONSOLE_CONFIG_SIZE]).toEqual([0, 2, 4, 8, 12]);
    const dev = new ConsoleDevice({ maxPorts: 0x1234, ports: { 0: { size: { cols: 0x0150, rows: 0x0032 } } } });
    expect([...dev.config.read(0, 12)]).toEqual([0x50, 0x01, 0x32, 0x00, 0x34, 0x12, 0, 0, 0, 0, 0, 0]);
  });

  it('[AVP-CON-28] [AVP-CON-29] [AVP-CON-30] ignores and counts driver writes to read-only fields; emerg_wr keeps reading 0', () => {
    const dev = new ConsoleDevice({ maxPorts: 3, ports: { 0: { size: { cols: 80, rows: 25 } } } });
    const before = dev.config.read(0, 12);
    dev.writeConfig(C.CONSOLE_CFG_COLS, new Uint8Array([1, 2]));
    dev.writeConfig(C.CONSOLE_CFG_MAX_NR_PORTS, new Uint8Array([9, 9, 9, 9]));
    dev.writeConfig(C.CONSOLE_CFG_EMERG_WR, new Uint8Array([0x41, 0, 0, 0]));
    expect(dev.config.read(0, 12)).toEqual(before);
    expect(dev.stats.configWritesIgnored).toBe(2);
  });
});

describe.each(RING_TYPES)('console features (%s ring)', (ring) => {
  it('[AVP-CON-3] offers MULTIPORT with more than one port, SIZE only with a size for port 0, EMERG_WRITE unless switched off', () => {
    const sized = new ConsoleDevice({ maxPorts: 2, ports: { 0: { size: { cols: 80, rows: 24 } } } }).offeredFeatures();
    expect(hasFeature(sized, F.VIRTIO_CONSOLE_F_SIZE)).toBe(true);
    expect(hasFeature(sized, F.VIRTIO_CONSOLE_F_MULTIPORT)).toBe(true);
    expect(hasFeature(sized, F.VIRTIO_CONSOLE_F_EMERG_WRITE)).toBe(true);
    const plain = new ConsoleDevice({ emergencyWrite: false }).offeredFeatures();
    expect(plain & (bit(0) | bit(1) | bit(2))).toBe(0n);
    expect(() => new ConsoleDevice({ maxPorts: 2, multiport: false })).toThrow(RangeError);
    expect(() => new ConsoleDevice({ maxPorts: 0 })).toThrow(RangeError);
    // max_nr_ports is what the driver sizes its queues by.
    const r = rig(ring, { dev: { maxPorts: 3 } });
    expect(r.drv.maxPorts).toBe(3);
    expect(r.lb.queues).toHaveLength(8);
  });

  it('[AVP-CON-1] serves port 0 on queues 0/1 when the driver declines MULTIPORT', () => {
    const r = rig(ring, { dev: { maxPorts: 4 }, features: without(ALL, F.VIRTIO_CONSOLE_F_MULTIPORT) });
    expect(r.lb.queues).toHaveLength(2);
    expect(r.drv.write(0, 'boot ok\n')).toBe(true);
    expect(r.hosts.get(0)!.output.text).toBe('boot ok\n');
    r.hosts.get(0)!.input.push('x');
    r.dev.inputReady(0);
    expect(r.drv.readText(0)).toBe('x');
    expect(r.dev.deviceReady).toBe(false);
  });
});
