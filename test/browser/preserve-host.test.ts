// preserveHost under `npm run dev`: wrangler dev cannot send the client's Host to an origin
// (cf.resolveOverride works only on Cloudflare), so the origin is asked with its own Host and
// one warning says so. No browser needed: this suite is where wrangler dev runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../support/http.ts';
import { startOrigin, type Origin } from '../support/origin.ts';
import { startWranglerDev, type WranglerDev } from './support/index.ts';

let origin: Origin;
let gateway: WranglerDev;

beforeAll(async () => {
  origin = await startOrigin();
  gateway = await startWranglerDev({ routes: { routes: [{ path: '/keep', origin: `${origin.url}/v1`, preserveHost: true }] } });
});
afterAll(async () => {
  await gateway?.stop();
  await origin?.close();
});

describe('preserveHost under wrangler dev', () => {
  it('reaches the origin with its own Host, carries the client\'s in X-Forwarded-Host, and warns once', async () => {
    for (const path of ['/keep/a', '/keep/b']) {
      const res = await request(gateway.url, path, { headers: { host: 'app.example.test' } });
      expect(res.status, gateway.output()).toBe(200);
      const seen = res.json();
      expect(seen.url).toBe(path.replace('/keep', '/v1'));
      expect(seen.headers.host).toBe(`127.0.0.1:${origin.port}`);
      expect(seen.headers['x-forwarded-host']).toBe('app.example.test');
    }
    await expect.poll(() => gateway.output(), { timeout: 5000 }).toContain('preserveHost cannot work under wrangler dev');
    expect(gateway.output().split('preserveHost cannot work under wrangler dev').length - 1).toBe(1);
  });
});
