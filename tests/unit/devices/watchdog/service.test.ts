// The AVP watchdog service: arming, refresh, the first stage, the reset, and the supervisor's view.
import { describe, expect, it } from 'vitest';
import * as W from '../../../../src/lib/devices/watchdog/service.ts';

function setup() {
  const clock = new W.WdtClock();
  const resets: string[] = [];
  const svc = new W.WatchdogService({ clock, control: { reset: (g) => resets.push(g) } });
  const inbox: Uint8Array[] = [];
  const wd = svc.connect('cluster', (m) => inbox.push(m));
  return { clock, svc, wd, resets, inbox };
}
const status = (r: Uint8Array) => r[2];

describe('AVP watchdog service', () => {
  it('[AVP-WDT-2] arms on a guest request within the platform range and refuses timings outside it', () => {
    const s = setup();
    expect(status(s.wd.handle(W.encodeWdt(W.WDT_ARM, 50, 0)))).toBe(W.WDT_S_EINVAL);
    expect(status(s.wd.handle(W.encodeWdt(W.WDT_ARM, 1000, 1000)))).toBe(W.WDT_S_EINVAL);
    expect(status(s.wd.handle(W.encodeWdt(W.WDT_REFRESH)))).toBe(W.WDT_S_ENOTARMED);
    expect(status(s.wd.handle(W.encodeWdt(W.WDT_ARM, 1000, 200)))).toBe(W.WDT_S_OK);
    expect(s.svc.events.map((e) => e.kind)).toEqual(['rejected', 'rejected', 'rejected', 'armed']);
  });

  it('[AVP-WDT-3] a refresh restarts the timeout, and a guest that keeps refreshing is never reset', () => {
    const s = setup();
    s.wd.handle(W.encodeWdt(W.WDT_ARM, 1000, 200));
    for (let i = 0; i < 20; i++) {
      s.clock.advance(700_000);
      expect(status(s.wd.handle(W.encodeWdt(W.WDT_REFRESH)))).toBe(W.WDT_S_OK);
    }
    expect(s.resets).toEqual([]);
    expect(s.inbox).toEqual([]);
    const left = new DataView(s.wd.handle(W.encodeWdt(W.WDT_STATUS)).buffer).getUint32(4, true);
    expect(left).toBe(1000);
  });

  it('[AVP-WDT-4] [AVP-WDT-5] signals the first stage, then resets a guest that never answers and tells the supervisor when it last refreshed', () => {
    const s = setup();
    s.wd.handle(W.encodeWdt(W.WDT_ARM, 1000, 200));
    s.clock.advance(300_000);
    s.wd.handle(W.encodeWdt(W.WDT_REFRESH)); // last sign of life at 300 ms
    s.clock.advance(799_999);
    expect(s.inbox).toEqual([]);
    s.clock.advance(1);
    expect(s.inbox.length).toBe(1);
    const sig = new DataView(s.inbox[0].buffer);
    expect([sig.getUint16(0, true), sig.getUint32(4, true)]).toEqual([W.WDT_SIGNAL, 200]);
    // The guest is hung: it reads nothing and sends nothing. The host's clock alone decides.
    s.clock.advance(200_000);
    expect(s.resets).toEqual(['cluster']);
    const reset = s.svc.events.find((e) => e.kind === 'reset');
    expect(reset).toEqual({ guest: 'cluster', kind: 'reset', at: 1_300_000, lastRefresh: 300_000 });
    expect(s.svc.events.map((e) => e.kind)).toEqual(['armed', 'first-stage', 'reset']);
  });

  it('[AVP-WDT-6] gives a guest no way to disarm or stretch an armed watchdog', () => {
    const s = setup();
    s.wd.handle(W.encodeWdt(W.WDT_ARM, 1000, 0));
    expect(status(s.wd.handle(W.encodeWdt(W.WDT_ARM, 60_000, 0)))).toBe(W.WDT_S_EBUSY);
    for (const t of [0, 4, 5, 0x7fff, 0xffff]) expect(status(s.wd.handle(W.encodeWdt(t, 0, 0)))).toBe(W.WDT_S_EINVAL);
    expect(status(s.wd.handle(new Uint8Array(3)))).toBe(W.WDT_S_EINVAL);
    s.clock.advance(1_000_000);
    expect(s.resets).toEqual(['cluster']);
  });

  it('[AVP-WDT-7] one hung guest delays neither another guest\'s watchdog nor its own reset', () => {
    const s = setup();
    const ivi = s.svc.connect('ivi', () => {});
    s.wd.handle(W.encodeWdt(W.WDT_ARM, 1000, 0));
    ivi.handle(W.encodeWdt(W.WDT_ARM, 500, 100));
    for (let i = 0; i < 10; i++) {
      s.clock.advance(300_000);
      ivi.handle(W.encodeWdt(W.WDT_REFRESH)); // the IVI is healthy; the cluster is hung
    }
    expect(s.resets).toEqual(['cluster']);
    expect(s.svc.events.filter((e) => e.guest === 'ivi').map((e) => e.kind)).toEqual(['armed']);
    expect(s.svc.events.find((e) => e.kind === 'reset')?.at).toBe(1_200_000);
  });
});
