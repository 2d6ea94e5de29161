// The token bucket and the per-device budget over model time (chapter Safety).
import { describe, expect, it } from 'vitest';
import { DeviceBudget, ManualClock, TokenBucket } from '../../../src/lib/devices/budget.ts';

describe('[AVP-SAFE-4] token bucket over model time', () => {
  it('starts full, refills perSecond tokens per second of model time and never above burst', () => {
    const b = new TokenBucket({ perSecond: 1000, burst: 4 }, 0);
    expect(b.tokens(0)).toBe(4);
    b.take(4, 0);
    expect(b.has(1, 0)).toBe(false);
    expect(b.tokens(500)).toBe(0.5); // 1000 per second: half a token in 500 µs
    expect(b.has(1, 999)).toBe(false);
    expect(b.has(1, 1000)).toBe(true);
    expect(b.tokens(1_000_000)).toBe(4); // capped at the burst
  });

  it('may go into debt and admits nothing until it is back above zero', () => {
    const b = new TokenBucket({ perSecond: 1_000_000, burst: 100 }, 0); // one token per µs
    b.take(250, 0);
    expect(b.tokens(0)).toBe(-150);
    expect(b.readyAt(0, 0)).toBe(151);
    expect(b.has(0, 150)).toBe(false);
    expect(b.has(0, 151)).toBe(true);
  });

  it('is exact in integers: a million refills of 1 µs equal one of a second', () => {
    const a = new TokenBucket({ perSecond: 3, burst: 10 }, 0);
    const b = new TokenBucket({ perSecond: 3, burst: 10 }, 0);
    a.take(10, 0);
    b.take(10, 0);
    for (let t = 1; t <= 1_000_000; t += 1000) a.tokens(t);
    expect(b.tokens(1_000_000)).toBe(3);
    expect(a.tokens(1_000_001)).toBe(b.tokens(1_000_001));
  });

  it('refuses rates and bursts that are not positive integers', () => {
    expect(() => new TokenBucket({ perSecond: 0, burst: 1 }, 0)).toThrow(RangeError);
    expect(() => new TokenBucket({ perSecond: 1, burst: 0.5 }, 0)).toThrow(RangeError);
  });
});

describe('device budget', () => {
  it('[AVP-SAFE-4] admits a request only with a whole request token and the byte and time buckets out of debt', () => {
    const clock = new ManualClock();
    const b = new DeviceBudget({ clock, limits: { requests: { perSecond: 1000, burst: 10 }, bytes: { perSecond: 1_000_000, burst: 1000 } } });
    expect(b.mayTake(0)).toBe(true);
    b.charge(0, 4000); // a large request: 3000 bytes of debt
    expect(b.mayTake(0)).toBe(false);
    expect(b.held).toEqual([0]);
    clock.advanceTo(3000);
    expect(b.mayTake(0)).toBe(false); // exactly zero is not above zero
    clock.advanceTo(3001);
    expect(b.mayTake(0)).toBe(true);
  });

  it('[AVP-SAFE-6] counts stops, throttled requests and deferred notifications', () => {
    const clock = new ManualClock();
    const b = new DeviceBudget({ clock, limits: { notifications: { perSecond: 1000, burst: 1 }, requests: { perSecond: 1000, burst: 1 } } });
    expect(b.admitNotification(0)).toBe(true);
    expect(b.admitNotification(0)).toBe(false);
    b.charge(0, 10); // taken while the queue was held: it waited
    expect(b.mayTake(0)).toBe(false); // already held since the deferred notification: no new stop
    expect(b.mayTake(1)).toBe(false);
    expect(b.mayTake(1)).toBe(false); // one stop for queue 1, not two
    expect(b.stats).toMatchObject({ deferredNotifications: 1, stops: 1, throttled: 1, taken: 1, bytes: 10 });
    expect(b.held).toEqual([0, 1]);
    b.emptied(0);
    expect(b.held).toEqual([1]);
  });

  it('[AVP-SAFE-2] needs a cost model for a back-end time budget, and at most one second per second', () => {
    const clock = new ManualClock();
    expect(() => new DeviceBudget({ clock, limits: { backendUs: { perSecond: 1000, burst: 10 } } })).toThrow(/backendCost/);
    expect(() => new DeviceBudget({ clock, limits: { backendUs: { perSecond: 1_000_001, burst: 10 } }, backendCost: () => 1 })).toThrow(RangeError);
  });

  it('[AVP-SAFE-8] a reset forgets held queues but refills no bucket', () => {
    const clock = new ManualClock();
    const b = new DeviceBudget({ clock, limits: { requests: { perSecond: 1000, burst: 1 } } });
    b.charge(0, 0);
    expect(b.mayTake(0)).toBe(false);
    b.reset();
    expect(b.held).toEqual([]);
    expect(b.mayTake(0)).toBe(false);
  });

  it('the model clock never goes back', () => {
    const clock = new ManualClock();
    clock.advanceTo(10);
    expect(() => clock.advanceTo(9)).toThrow(RangeError);
  });
});
