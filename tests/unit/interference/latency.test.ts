// Summaries of a victim's latencies (src/lib/interference/latency.ts): percentiles, misses and
// messages that never got through.
import { describe, expect, it } from 'vitest';
import { percentile, summarizeLatency } from '../../../src/lib/interference/latency.ts';

describe('percentile', () => {
  const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

  it('is the nearest rank: the smallest value with at least p % of the values at or below it', () => {
    expect(percentile(ten, 50)).toBe(5);
    expect(percentile(ten, 51)).toBe(6);
    expect(percentile(ten, 99)).toBe(10);
    expect(percentile(ten, 10)).toBe(1);
    expect(percentile(ten, 100)).toBe(10);
  });

  it('refuses a rank outside (0, 100] and gives 0 for no values', () => {
    expect(() => percentile(ten, 0)).toThrow(RangeError);
    expect(() => percentile(ten, 101)).toThrow(RangeError);
    expect(percentile([], 50)).toBe(0);
  });
});

describe('summarizeLatency', () => {
  it('judges only samples whose deadline falls in the run, and counts a late one as a miss', () => {
    const s = summarizeLatency(
      [
        { at: 0, latencyUs: 100 },
        { at: 1000, latencyUs: 1000 }, // exactly on the deadline: on time
        { at: 2000, latencyUs: 1001 }, // one microsecond late
        { at: 9500, latencyUs: 5 }, // its deadline (10,500) is after the run's end
      ],
      1000,
      10_000,
    );
    expect(s).toEqual({ judged: 3, completed: 3, misses: 1, p50Us: 1000, p99Us: 1001, maxUs: 1001, meanUs: 700 });
  });

  it('counts a message that never got through as a miss with an infinite latency, left out of the mean', () => {
    const s = summarizeLatency([{ at: 0, latencyUs: 200 }, { at: 10, latencyUs: null }, { at: 20, latencyUs: null }], 1000, 5000);
    expect(s.misses).toBe(2);
    expect(s.completed).toBe(1);
    expect(s.maxUs).toBe(Infinity);
    expect(s.p50Us).toBe(Infinity);
    expect(s.meanUs).toBe(200);
    expect(summarizeLatency([{ at: 0, latencyUs: null }], 10, 100).meanUs).toBeNull();
  });
});
