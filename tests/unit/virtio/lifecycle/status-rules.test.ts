// The status byte as a state machine (§2.1, §3.1.1): the pure rules, before any transport.
import { describe, expect, it } from 'vitest';
import { checkStatusWrite, driverMay, phaseOf, statusNames } from '../../../../src/lib/virtio/lifecycle/status-rules.ts';
import { ACKNOWLEDGE, DEVICE_NEEDS_RESET, DRIVER, DRIVER_OK, FAILED, FEATURES_OK } from '../../../../src/lib/virtio/status.ts';

const A = ACKNOWLEDGE;
const AD = A | DRIVER;
const ADF = AD | FEATURES_OK;

describe('checkStatusWrite', () => {
  it('[AVP-LIFE-1] accepts the four steps in order, one at a time', () => {
    let s = 0;
    for (const step of [A, DRIVER, FEATURES_OK, DRIVER_OK]) {
      const w = checkStatusWrite(s, s | step);
      expect(w.problems).toEqual([]);
      expect(w.next).toBe(s | step);
      s = w.next;
    }
    expect(s).toBe(ADF | DRIVER_OK);
  });

  it('[AVP-LIFE-1] accepts ACKNOWLEDGE and DRIVER in one write, but not a skipped step', () => {
    expect(checkStatusWrite(0, AD).next).toBe(AD);
    const skip = checkStatusWrite(A, A | FEATURES_OK);
    expect(skip.next).toBe(A);
    expect(skip.problems.map((p) => p.code)).toEqual(['STATUS_OUT_OF_ORDER']);
    expect(checkStatusWrite(0, DRIVER).problems[0].code).toBe('STATUS_OUT_OF_ORDER');
  });

  it('[AVP-LIFE-1] refuses DRIVER_OK written together with FEATURES_OK: the device must keep FEATURES_OK first', () => {
    const w = checkStatusWrite(AD, ADF | DRIVER_OK);
    expect(w.next).toBe(AD);
    expect(w.problems[0].message).toMatch(/before the device kept FEATURES_OK/);
  });

  it('[AVP-LIFE-2] refuses a write that clears a bit', () => {
    const w = checkStatusWrite(ADF, A | FEATURES_OK);
    expect(w.next).toBe(ADF);
    expect(w.problems[0].code).toBe('STATUS_BIT_CLEARED');
    expect(w.problems[0].message).toMatch(/clears DRIVER/);
  });

  it('[AVP-LIFE-15] after FAILED, further steps are refused until a reset', () => {
    const failed = checkStatusWrite(AD, AD | FAILED);
    expect(failed.problems).toEqual([]);
    expect(failed.next).toBe(AD | FAILED);
    const more = checkStatusWrite(AD | FAILED, AD | FAILED | FEATURES_OK);
    expect(more.next).toBe(AD | FAILED);
    expect(more.problems[0].code).toBe('STATUS_AFTER_FAILED');
  });

  it('drops bits the driver does not own and says so', () => {
    const w = checkStatusWrite(0, A | 0x100 | DEVICE_NEEDS_RESET);
    expect(w.next).toBe(A);
    expect(w.problems.map((p) => p.code)).toEqual(['STATUS_UNDEFINED_BIT', 'STATUS_UNDEFINED_BIT']);
  });

  it('reports the FEATURES_OK and DRIVER_OK transitions to the caller', () => {
    expect(checkStatusWrite(AD, ADF).featuresOkRequested).toBe(true);
    expect(checkStatusWrite(ADF, ADF | DRIVER_OK).driverOkRequested).toBe(true);
    expect(checkStatusWrite(ADF, ADF).featuresOkRequested).toBe(false);
  });
});

describe('driverMay', () => {
  it('[AVP-LIFE-6] allows feature writes only between DRIVER and FEATURES_OK', () => {
    expect([0, A, AD, ADF, ADF | DRIVER_OK].map((s) => driverMay(s).writeFeatures)).toEqual([false, false, true, false, false]);
  });

  it('[AVP-LIFE-7] allows queue set-up only between FEATURES_OK and DRIVER_OK', () => {
    expect([AD, ADF, ADF | DRIVER_OK].map((s) => driverMay(s).setUpQueues)).toEqual([false, true, false]);
  });

  it('[AVP-LIFE-9] allows notifications only once live, and nothing while the device needs a reset or after FAILED', () => {
    expect(driverMay(ADF).notify).toBe(false);
    expect(driverMay(ADF | DRIVER_OK).notify).toBe(true);
    expect(driverMay(ADF | DRIVER_OK | DEVICE_NEEDS_RESET).notify).toBe(false);
    expect(driverMay(ADF | FAILED).writeConfig).toBe(false);
  });
});

describe('phaseOf and statusNames', () => {
  it('names each phase and each bit', () => {
    expect([0, A, AD, ADF, ADF | DRIVER_OK, AD | FAILED].map(phaseOf)).toEqual(['reset', 'acknowledged', 'driver', 'features-ok', 'live', 'failed']);
    expect(statusNames(ADF | DRIVER_OK | DEVICE_NEEDS_RESET)).toBe('ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK|DEVICE_NEEDS_RESET');
    expect(statusNames(0)).toBe('0');
  });
});
