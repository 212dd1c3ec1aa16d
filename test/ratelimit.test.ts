// Rate limiting with the Workers Rate Limiting binding. Bare workerd has no such binding, so
// the limits are checked under `wrangler dev` (which simulates [[ratelimits]]) as users run it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWranglerDev, type WranglerDev } from './browser/support/wrangler.ts';
import { startGateway } from './support/gateway.ts';
import { request } from './support/http.ts';
import { startOrigin, type Origin } from './support/origin.ts';

let api: Origin;
let dev: WranglerDev;

beforeAll(async () => {
  api = await startOrigin();
  dev = await startWranglerDev({
    ratelimits: [
      { name: 'LIMITER', namespaceId: '1001', limit: 3, period: 60 },
      { name: 'FAST_LIMITER', namespaceId: '1002', limit: 2, period: 10 },
    ],
    routes: {
      routes: [
        { path: '/by-ip', origin: api.url, rateLimit: { binding: 'LIMITER' } },
        { path: '/also-by-ip', origin: api.url, rateLimit: { binding: 'LIMITER', key: 'ip' } },
        { path: '/by-key', origin: api.url, rateLimit: { binding: 'LIMITER', key: 'header:X-Api-Key' } },
        { path: '/fast', origin: api.url, rateLimit: { binding: 'FAST_LIMITER', period: 10 }, cors: true },
        { path: '/free', origin: api.url },
      ],
    },
  });
}, 120_000);
afterAll(async () => {
  await dev?.stop();
  await api?.close();
});

describe('rate limiting under wrangler dev', () => {
  it('answers 429 with Retry-After once the limit is used up, forwarding nothing', async () => {
    for (let i = 0; i < 3; i++) expect((await request(dev.url, '/by-ip/x')).status, `request ${i + 1}`).toBe(200);
    const before = api.seen.length;
    const res = await request(dev.url, '/by-ip/x');
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('60');
    expect(res.json().error.route).toBe('/by-ip');
    expect(api.seen.length).toBe(before);
  });

  it('keeps separate counters per route on one binding', async () => {
    expect((await request(dev.url, '/also-by-ip/x')).status).toBe(200);
  });

  it('leaves routes without rateLimit alone', async () => {
    for (let i = 0; i < 5; i++) expect((await request(dev.url, '/free/x')).status).toBe(200);
  });

  it('keys by a header when asked, falling back to the IP without it', async () => {
    for (let i = 0; i < 3; i++) expect((await request(dev.url, '/by-key/x', { headers: { 'x-api-key': 'alice' } })).status).toBe(200);
    expect((await request(dev.url, '/by-key/x', { headers: { 'x-api-key': 'alice' } })).status).toBe(429);
    expect((await request(dev.url, '/by-key/x', { headers: { 'x-api-key': 'bob' } })).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await request(dev.url, '/by-key/x')).status).toBe(200);
    expect((await request(dev.url, '/by-key/x')).status).toBe(429);
  });

  it('tells the configured period in Retry-After and keeps CORS headers on the 429', async () => {
    const origin = { origin: 'https://app.test' };
    for (let i = 0; i < 2; i++) expect((await request(dev.url, '/fast/x', { headers: origin })).status).toBe(200);
    const res = await request(dev.url, '/fast/x', { headers: origin });
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('10');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-expose-headers']).toContain('retry-after');
  });
});

describe('a rateLimit naming a binding that does not exist', () => {
  it('is a config error naming the route and the binding', async () => {
    const gateway = await startGateway({ routes: [{ path: '/a', origin: api.url, rateLimit: { binding: 'NOT_BOUND' } }] });
    try {
      const res = await request(gateway.url, '/a/x');
      expect(res.status).toBe(500);
      const problems: string[] = res.json().error.problems;
      expect(problems.join('\n')).toContain('routes[0].rateLimit.binding');
      expect(problems.join('\n')).toContain('NOT_BOUND');
      expect(problems.join('\n')).toContain('[[ratelimits]]');
    } finally {
      await gateway.stop();
    }
  });
});
