// The host side: per-guest log capture and the production input gate.
import { describe, expect, it } from 'vitest';
import { RING_TYPES } from '../../../support/rings.ts';
import { ConsoleLog } from '../../../../src/lib/devices/console/console-log.ts';
import { ProductionInputGate } from '../../../../src/lib/devices/console/host.ts';
import { ConsoleDevice } from '../../../../src/lib/devices/console/device.ts';
import { Loopback } from '../../../../src/lib/virtio/loopback.ts';
import { ConsoleDriver } from '../../../../src/lib/devices/console/driver.ts';
import { needsReset, rig, testHost } from './harness.ts';

describe('console log', () => {
  it('[AVP-CON-22] keeps the newest bytes within its capacity and counts what it dropped', () => {
    const log = new ConsoleLog(10);
    log.write(new TextEncoder().encode('0123456'));
    log.write(new TextEncoder().encode('789abc'));
    expect(log.text).toBe('3456789abc');
    expect(log.lost).toBe(3);
    log.write(new TextEncoder().encode('ABCDEFGHIJKLMNOP'));
    expect(log.text).toBe('GHIJKLMNOP');
    expect(log.lost).toBe(19);
    expect(log.writes).toBe(3);
    expect(() => new ConsoleLog(0)).toThrow(RangeError);
  });
});

describe.each(RING_TYPES)('console host side (%s ring)', (ring) => {
  it('[AVP-CON-22] gives each guest its own log, and a full log never holds a guest back', () => {
    const logA = new ConsoleLog(16);
    const logB = new ConsoleLog(16);
    const a = new ConsoleDevice({ ports: { 0: { host: { output: logA } } } });
    const b = new ConsoleDevice({ ports: { 0: { host: { output: logB } } } });
    const da = new ConsoleDriver(new Loopback(a, { ring }));
    const db = new ConsoleDriver(new Loopback(b, { ring }));
    for (let i = 0; i < 50; i++) expect(da.write(0, `line ${i}\n`)).toBe(true);
    db.write(0, 'guest B\n');
    expect(logA.text.endsWith('line 49\n')).toBe(true);
    expect(logA.lost).toBeGreaterThan(0);
    expect(logB.text).toBe('guest B\n');
  });

  it('[AVP-CON-23] delivers no host input to a port the production gate has not admitted, and keeps none for later', () => {
    const gate = new ProductionInputGate();
    const h = testHost();
    const r = rig(ring, { hosted: [], dev: { maxPorts: 2, inputGate: gate, ports: { 1: { name: 'org.avp.diag.0', host: h } } } });
    r.drv.open(1);
    h.input.push('reboot\n');
    r.dev.inputReady(1);
    expect(r.drv.readText(1)).toBe('');
    expect(h.input.pending).toBe(0); // discarded, not held for a later session
    expect(r.dev.stats.inputRefused).toBe(7);
    gate.grant(1); // an authenticated diagnostic session holds the port
    h.input.push('status\n');
    r.dev.inputReady(1);
    expect(r.drv.readText(1)).toBe('status\n');
    gate.revoke(1);
    h.input.push('x');
    r.dev.inputReady(1);
    expect(r.drv.readText(1)).toBe('');
    // Output is never gated: logs keep working.
    r.drv.write(1, 'still logging');
    expect(h.output.text).toBe('still logging');
    expect(needsReset(r)).toBe(false);
  });
});
