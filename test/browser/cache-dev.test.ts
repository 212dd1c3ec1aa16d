// Caching under `npm run dev`: wrangler's local Cache API stores and serves a route's answers
// as Cloudflare's would. No browser needed: this suite is where wrangler dev runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../support/http.ts';
import { startOrigin, type Origin } from '../support/origin.ts';
import { startWranglerDev, type WranglerDev } from './support/index.ts';

let origin: Origin;
let gateway: WranglerDev;

beforeAll(async () => {
  origin = await startOrigin((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'max-age=60' });
    res.end(`answer ${origin.seen.length}`);
  });
  gateway = await startWranglerDev({ routes: { routes: [{ path: '/cached', origin: origin.url, cache: true }] } });
});
afterAll(async () => {
  await gateway?.stop();
  await origin?.close();
});

describe('cache under wrangler dev', () => {
  it('asks the origin once, then answers from the local cache', async () => {
    const first = await request(gateway.url, '/cached/page');
    expect(first.status, gateway.output()).toBe(200);
    expect(first.headers['cache-status']).toBe('switchyard; fwd=uri-miss; stored');
    // The store finishes after the answer (waitUntil).
    await expect.poll(async () => (await request(gateway.url, '/cached/page')).headers['cache-status'], { timeout: 5000 }).toMatch(/^switchyard; hit; ttl=\d+$/);
    const hit = await request(gateway.url, '/cached/page');
    expect(hit.text).toBe('answer 1');
    expect(origin.seen).toHaveLength(1);
  });
});
