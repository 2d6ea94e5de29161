// Emergency write (VIRTIO 1.4 §5.3.5, §5.3.5.1): one character through emerg_wr, in any state.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { GuestMemory } from '../../../../src/lib/virtio/memory.ts';
import { MmioTransport } from '../../../../src/lib/virtio/mmio/transport.ts';
import { MMIO_CONFIG, MMIO_STATUS } from '../../../../src/lib/virtio/mmio/registers.ts';
import { ACKNOWLEDGE, DRIVER } from '../../../../src/lib/virtio/status.ts';
import { ConsoleDevice } from '../../../../src/lib/devices/console/device.ts';
import { writeEmergency } from '../../../../src/lib/devices/console/driver.ts';
import { ConsoleLog } from '../../../../src/lib/devices/console/console-log.ts';
import { CONSOLE_CFG_EMERG_WR } from '../../../../src/lib/devices/console/config.ts';
import { portTransmitQueue } from '../../../../src/lib/devices/console/queues.ts';
import { VIRTIO_CONSOLE_F_EMERG_WRITE } from '../../../../src/lib/devices/console/features.ts';
import { ALL, needsReset, rig, testHost, without } from './harness.ts';

const EMERG = MMIO_CONFIG + CONSOLE_CFG_EMERG_WR;

describe('console emergency write', () => {
  it('[AVP-CON-8] [AVP-CON-33] passes the low byte on before the device was ever initialized', () => {
    const log = new ConsoleLog();
    const dev = new ConsoleDevice({ emergencyOutput: log });
    writeEmergency(dev, 'panic\n');
    expect(log.text).toBe('panic\n');
    expect(dev.stats.emergencyChars).toBe(6);
    // Only the low byte counts; a write of the upper bytes alone sends nothing.
    dev.writeConfig(CONSOLE_CFG_EMERG_WR, new Uint8Array([0x21, 0x7a, 0x7a, 0x7a]));
    dev.writeConfig(CONSOLE_CFG_EMERG_WR + 1, new Uint8Array([0x7a]));
    expect(log.text).toBe('panic\n!');
    expect(dev.stats.emergencyIgnored).toBe(1);
  });

  it('[AVP-CON-8] takes a register write at status 0 and after ACKNOWLEDGE|DRIVER through virtio-mmio', () => {
    const log = new ConsoleLog();
    const dev = new ConsoleDevice({ emergencyOutput: log });
    const t = new MmioTransport(dev, GuestMemory.create(1 << 16));
    t.write(EMERG, 0x45, 4); // status 0: nothing negotiated
    t.write(MMIO_STATUS, ACKNOWLEDGE);
    t.write(EMERG, 0x41, 1);
    t.write(MMIO_STATUS, ACKNOWLEDGE | DRIVER);
    t.write(EMERG, 0x52, 2);
    expect(log.text).toBe('EAR');
    expect(t.lifecycle.counts.CONFIG_WRITE_STATE ?? 0).toBe(0);
    expect(dev.configWritableAnytime(CONSOLE_CFG_EMERG_WR, 4)).toBe(true);
    expect(dev.configWritableAnytime(0, 4)).toBe(false); // cols/rows are not writable at all
  });

  it('[AVP-CON-9] does not let emerg_wr through the transport early when the feature is not offered', () => {
    const log = new ConsoleLog();
    const dev = new ConsoleDevice({ emergencyWrite: false, emergencyOutput: log });
    expect(dev.configWritableAnytime(CONSOLE_CFG_EMERG_WR, 4)).toBe(false);
    const t = new MmioTransport(dev, GuestMemory.create(1 << 16));
    t.write(EMERG, 0x45, 4);
    expect(log.writes).toBe(0);
    expect(t.lifecycle.counts.CONFIG_WRITE_STATE).toBe(1);
  });

  it('[AVP-CON-9] ignores and counts emerg_wr writes when the feature is not offered or nothing listens', () => {
    const log = new ConsoleLog();
    const off = new ConsoleDevice({ emergencyWrite: false, emergencyOutput: log });
    writeEmergency(off, 'abc');
    expect(log.writes).toBe(0);
    expect(off.stats.emergencyIgnored).toBe(3);
    expect(off.stats.emergencyChars).toBe(0);
    const deaf = new ConsoleDevice(); // no emergency output, no host on port 0
    writeEmergency(deaf, 'x');
    expect(deaf.stats.emergencyIgnored).toBe(1);
  });
});

describe.each(RING_TYPES)('console emergency write on a live device (%s ring)', (ring) => {
  it('[AVP-CON-8] still works after the driver broke a ring and the device needs a reset', () => {
    const r = rig(ring);
    r.drv.write(0, 'ok ');
    // A buffer outside guest memory: a ring-level error, the device needs a reset.
    r.lb.queues[portTransmitQueue(0)].add([{ addr: 0x7fff_0000, len: 16, writable: false }]);
    r.dev.queueNotify(portTransmitQueue(0));
    expect(needsReset(r)).toBe(true);
    r.drv.emergencyWrite('!');
    expect(r.hosts.get(0)!.output.text).toBe('ok !');
  });

  it('[AVP-CON-8] works when the driver did not accept VIRTIO_CONSOLE_F_EMERG_WRITE', () => {
    const r = rig(ring, { features: without(ALL, VIRTIO_CONSOLE_F_EMERG_WRITE) });
    expect(r.lb.features & (1n << BigInt(VIRTIO_CONSOLE_F_EMERG_WRITE))).toBe(0n);
    r.drv.emergencyWrite('E');
    expect(r.hosts.get(0)!.output.text).toBe('E');
  });

  it('[AVP-CON-10] writes emergency characters into port 0\'s log, in order with the port\'s own output', () => {
    const h = testHost();
    const r = rig(ring, { hosted: [], dev: { ports: { 0: { host: h } } }, start: false });
    r.drv.emergencyWrite('[early]');
    r.drv.write(0, '[queue]');
    r.drv.emergencyWrite('[panic]');
    expect(h.output.text).toBe('[early][queue][panic]');
  });
});
