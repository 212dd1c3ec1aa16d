import { describe, expect, it } from 'vitest';
import { checkRateLimit, rateLimitBindingProblem, rateLimitKey } from './ratelimit.ts';

/** A stand-in binding that allows `allowed` calls in total and records the keys it was asked about. */
function limiter(allowed: number) {
  const keys: string[] = [];
  return {
    keys,
    async limit({ key }: { key: string }) {
      keys.push(key);
      return { success: keys.length <= allowed };
    },
  };
}

describe('rateLimitKey', () => {
  const headers = new Headers({ 'x-api-key': 'abc' });

  it('keys by route and client IP by default', () => {
    expect(rateLimitKey({ binding: 'L' }, { path: '/api' }, headers, '203.0.113.9')).toBe('/api ip:203.0.113.9');
    expect(rateLimitKey({ binding: 'L', key: 'ip' }, { path: '/other' }, headers, '2001:db8::1')).toBe('/other ip:2001:db8::1');
  });

  it('keys by a header when asked, and by IP when the header is missing', () => {
    expect(rateLimitKey({ binding: 'L', key: 'header:X-Api-Key' }, { path: '/api' }, headers, '203.0.113.9')).toBe('/api x-api-key:abc');
    expect(rateLimitKey({ binding: 'L', key: 'header:X-Api-Key' }, { path: '/api' }, new Headers(), '203.0.113.9')).toBe('/api ip:203.0.113.9');
  });

  it('keeps the same path on two hosts apart', () => {
    const a = rateLimitKey({ binding: 'L' }, { path: '/api', host: 'a.example' }, headers, '203.0.113.9');
    const b = rateLimitKey({ binding: 'L' }, { path: '/api', host: 'b.example' }, headers, '203.0.113.9');
    expect(a).not.toBe(b);
  });

  it('cannot be confused between a header value and an IP', () => {
    const spoof = new Headers({ 'x-api-key': 'ip:203.0.113.9' });
    expect(rateLimitKey({ binding: 'L', key: 'header:X-Api-Key' }, { path: '/api' }, spoof, '203.0.113.9')).not.toBe('/api ip:203.0.113.9');
  });
});

describe('rateLimitBindingProblem', () => {
  it('names the missing binding and how to add it', () => {
    const problem = rateLimitBindingProblem({ binding: 'API_LIMITER' }, {}, 'routes[3].rateLimit.binding');
    expect(problem).toContain('routes[3].rateLimit.binding');
    expect(problem).toContain('API_LIMITER');
    expect(problem).toContain('[[ratelimits]]');
  });

  it('refuses a binding that is not a rate limiter', () => {
    expect(rateLimitBindingProblem({ binding: 'ROUTES' }, { ROUTES: '{}' }, 'x')).not.toBeNull();
  });

  it('accepts a rate limiting binding or no rateLimit', () => {
    expect(rateLimitBindingProblem({ binding: 'L' }, { L: limiter(1) }, 'x')).toBeNull();
    expect(rateLimitBindingProblem(undefined, {}, 'x')).toBeNull();
  });
});

describe('checkRateLimit', () => {
  it('passes while the binding allows, then answers 429 with Retry-After', async () => {
    const binding = limiter(1);
    const env = { L: binding };
    expect(await checkRateLimit({ binding: 'L' }, env, { path: '/api' }, new Headers(), '198.51.100.1')).toBeNull();
    const refused = await checkRateLimit({ binding: 'L', period: 10 }, env, { path: '/api' }, new Headers(), '198.51.100.1');
    expect(refused).toMatchObject({ status: 429, route: '/api', headers: { 'retry-after': '10' } });
    expect(binding.keys).toEqual(['/api ip:198.51.100.1', '/api ip:198.51.100.1']);
  });

  it('defaults Retry-After to 60 seconds', async () => {
    const refused = await checkRateLimit({ binding: 'L' }, { L: limiter(0) }, { path: '/api' }, new Headers(), null);
    expect(refused?.headers?.['retry-after']).toBe('60');
  });

  it('answers 500 rather than letting requests through when the binding is gone', async () => {
    expect(await checkRateLimit({ binding: 'L' }, {}, { path: '/api' }, new Headers(), null)).toMatchObject({ status: 500 });
  });
});
