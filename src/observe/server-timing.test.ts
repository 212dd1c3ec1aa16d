import { describe, expect, it } from 'vitest';
import { startTrace, type Trace } from '../pipeline/trace.ts';
import { serverTiming } from './server-timing.ts';

const trace = (fields: Partial<Trace>): Trace => ({ ...startTrace(), start: 1000, ...fields });

describe('serverTiming', () => {
  it("splits the wait into the gateway's and the origin's", () => {
    expect(serverTiming(trace({ attempts: [{ origin: 'https://a.example', outcome: 'response', status: 200, ms: 30 }] }), 1042)).toBe('gateway;dur=12, origin;dur=30');
  });

  it('sums several attempts and says how many, naming no origin', () => {
    const attempts: Trace['attempts'] = [
      { origin: 'https://a.example', outcome: 'connect', ms: 5 },
      { origin: 'https://b.example', outcome: 'response', status: 200, ms: 20 },
    ];
    const value = serverTiming(trace({ attempts }), 1030);
    expect(value).toBe('gateway;dur=5, origin;dur=25;desc="2 attempts"');
    expect(value).not.toContain('example');
  });

  it("has only the gateway's time without an origin, and the cache outcome as a quoted description", () => {
    expect(serverTiming(trace({}), 1003)).toBe('gateway;dur=3');
    expect(serverTiming(trace({ cache: 'hit; ttl=42' }), 1001)).toBe('gateway;dur=1, cache;desc="hit; ttl=42"');
    expect(serverTiming(trace({ cache: 'x"y\\z\u0007', attempts: [{ origin: 'o', outcome: 'response', status: 200, ms: 1 }] }), 1001)).toBe('gateway;dur=0, origin;dur=1, cache;desc="x\\"y\\\\z"');
  });
});
