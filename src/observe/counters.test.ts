import { describe, expect, it } from 'vitest';
import { bucketLimit, bucketOf, counters, noteError, percentiles, RECENT_ERRORS } from './counters.ts';

describe('latency buckets', () => {
  it('are exact below 32 ms and at most 12.5% wide above, each ms in the bucket whose range holds it', () => {
    let previousLimit = -1;
    for (let index = 0; bucketLimit(index) < 2 ** 30; index++) {
      const limit = bucketLimit(index);
      expect(limit).toBeGreaterThan(previousLimit);
      expect(bucketOf(limit)).toBe(index);
      expect(bucketOf(previousLimit + 1)).toBe(index);
      if (index >= 32) expect((limit - previousLimit) / (previousLimit + 1)).toBeLessThanOrEqual(0.125);
      previousLimit = limit;
    }
    expect(bucketOf(5)).toBe(5);
    expect(bucketOf(-3)).toBe(0);
  });

  it('give percentiles as the upper bound of their bucket', () => {
    const latency = new Uint32Array(300);
    for (let ms = 1; ms <= 100; ms++) latency[bucketOf(ms)]!++;
    const p = percentiles(latency, 100);
    expect(p.p50).toBe(bucketLimit(bucketOf(50)));
    expect(p.p95).toBe(bucketLimit(bucketOf(95)));
    expect(p.p99).toBe(bucketLimit(bucketOf(99)));
    expect(p.p50! - 50).toBeLessThanOrEqual(50 / 8);
    expect(percentiles(latency, 0)).toEqual({ p50: null, p95: null, p99: null });
  });
});

describe('recent errors', () => {
  it('keeps the last 50, newest first', () => {
    for (let i = 0; i < RECENT_ERRORS + 7; i++) {
      noteError({ time: '', id: `id${i}`, status: 500, method: 'GET', path: '/', route: null, reason: 'r' });
    }
    const { recentErrors } = counters([]);
    expect(recentErrors).toHaveLength(RECENT_ERRORS);
    expect(recentErrors[0]!.id).toBe(`id${RECENT_ERRORS + 6}`);
    expect(recentErrors.at(-1)!.id).toBe('id7');
  });
});
