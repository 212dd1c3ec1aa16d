// Passive health: failures in a sliding window eject, the cooldown ends in one probe, and
// the probe's outcome decides.
import { describe, expect, it } from 'vitest';
import { available, claimProbe, freshHealth, healthState, recordOutcome, releaseProbe, type HealthPolicy } from './health.ts';

const policy: HealthPolicy = { failures: 3, window: 10_000, cooldown: 30_000, statuses: new Set([502, 503, 504]) };
const T = 1_700_000_000_000;

describe('ejection', () => {
  it('ejects after `failures` failures inside the window', () => {
    const health = freshHealth();
    recordOutcome(health, policy, true, T, false);
    recordOutcome(health, policy, true, T + 1000, false);
    expect(healthState(health, T + 1000)).toBe('up');
    recordOutcome(health, policy, true, T + 2000, false);
    expect(healthState(health, T + 2000)).toBe('ejected');
    expect(health.ejectedUntil).toBe(T + 2000 + 30_000);
    expect(available(health, T + 31_999)).toBe(false);
  });

  it('forgets failures older than the window', () => {
    const health = freshHealth();
    recordOutcome(health, policy, true, T, false);
    recordOutcome(health, policy, true, T + 5000, false);
    recordOutcome(health, policy, true, T + 10_000, false);
    expect(healthState(health, T + 10_000)).toBe('up');
    expect(health.fails).toEqual([T + 5000, T + 10_000]);
    recordOutcome(health, policy, true, T + 14_000, false);
    expect(healthState(health, T + 14_000)).toBe('ejected');
  });

  it('does not count successes while up', () => {
    const health = freshHealth();
    recordOutcome(health, policy, true, T, false);
    recordOutcome(health, policy, false, 0, false);
    recordOutcome(health, policy, true, T + 1, false);
    recordOutcome(health, policy, true, T + 2, false);
    expect(healthState(health, T + 2)).toBe('ejected');
  });
});

describe('half-open probe', () => {
  function ejected() {
    const health = freshHealth();
    for (let i = 0; i < 3; i++) recordOutcome(health, policy, true, T, false);
    return health;
  }

  it('lets exactly one request through once the cooldown is over', () => {
    const health = ejected();
    expect(claimProbe(health, T + 29_999)).toBe(false);
    expect(healthState(health, T + 30_000)).toBe('probing');
    expect(available(health, T + 30_000)).toBe(true);
    expect(claimProbe(health, T + 30_000)).toBe(true);
    expect(available(health, T + 30_001)).toBe(false);
    expect(claimProbe(health, T + 30_001)).toBe(false);
  });

  it('brings the member back when the probe succeeds', () => {
    const health = ejected();
    const probe = claimProbe(health, T + 30_000);
    recordOutcome(health, policy, false, 0, probe);
    expect(healthState(health, T + 30_001)).toBe('up');
    expect(health.fails).toEqual([]);
    expect(claimProbe(health, T + 30_002)).toBe(false);
  });

  it('ejects it for another cooldown when the probe fails', () => {
    const health = ejected();
    const probe = claimProbe(health, T + 30_000);
    recordOutcome(health, policy, true, T + 30_500, probe);
    expect(healthState(health, T + 31_000)).toBe('ejected');
    expect(health.ejectedUntil).toBe(T + 60_500);
    expect(health.probing).toBe(false);
  });

  it('lets the next request probe when a probe tells nothing (its upload was cut off)', () => {
    const health = ejected();
    const probe = claimProbe(health, T + 30_000);
    releaseProbe(health, probe);
    expect(claimProbe(health, T + 30_001)).toBe(true);
  });
});

describe('healthState', () => {
  it('is up for a fresh member', () => {
    expect(healthState(freshHealth(), T)).toBe('up');
    expect(available(freshHealth(), T)).toBe(true);
  });
});
