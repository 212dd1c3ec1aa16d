// The store behind the Cache API off Cloudflare (scripts/cache-service.js): bounded by its byte
// cap under `npm run serve`, and keyed so that a new `version` or config never reads old entries.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serve } from '../scripts/serve.ts';
import { cacheStoreConfig, runWorkerd, startWorkerd, type RunningWorkerd } from '../scripts/workerd.ts';
import { request } from './support/http.ts';
import { startOrigin, type Origin } from './support/origin.ts';

let origin: Origin;
const count = (path: string) => origin.seen.filter((seen) => seen.url === path).length;

beforeAll(async () => {
  // 300 KB bodies, fresh for a minute.
  origin = await startOrigin((req, res) => {
    const body = Buffer.alloc(300_000, req.url!.charCodeAt(req.url!.length - 1));
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length), 'cache-control': 'max-age=60' });
    res.end(body);
  });
});
afterAll(() => origin?.close());

describe('npm run serve', () => {
  it('holds at most --cache-size bytes, dropping the least recently used entries first', async () => {
    const served = await serve({
      port: 0,
      processes: 1,
      bundle: inject('bundle'),
      bindings: { ROUTES: { routes: [{ path: '/lru', origin: origin.url, cache: true }] } },
      cacheBytes: 1024 * 1024,
    });
    try {
      const get = async (name: string) => {
        const res = await request(served.url, `/lru/${name}`);
        expect(res.body.length).toBe(300_000);
        return res.headers['cache-status'] as string;
      };
      // a, b, c fit (900 KB); reading a again makes b the least recently used.
      for (const name of ['a', 'b', 'c']) expect(await get(name)).toMatch(/stored/);
      await expect.poll(() => get('a')).toMatch(/hit/);
      expect(await get('b')).toMatch(/hit/);
      expect(await get('a')).toMatch(/hit/);
      // d pushes past 1 MiB: c, now the least recently used, goes.
      expect(await get('d')).toMatch(/stored/);
      await expect.poll(() => get('d')).toMatch(/hit/);
      expect(await get('a')).toMatch(/hit/);
      expect(await get('b')).toMatch(/hit/);
      expect(await get('c')).toMatch(/fwd=uri-miss; stored/);
      expect(['a', 'b', 'c', 'd'].map((name) => count(`/${name}`))).toEqual([1, 1, 2, 1]);
    } finally {
      await served.stop();
    }
  });
});

describe('keys across deployments sharing one store', () => {
  let store: RunningWorkerd;
  const gateways: RunningWorkerd[] = [];
  beforeAll(async () => {
    store = await runWorkerd(cacheStoreConfig());
  });
  afterAll(async () => {
    await Promise.all(gateways.map((gateway) => gateway.stop()));
    await store?.stop();
  });

  const deploy = async (routes: unknown[]) => {
    const gateway = await startWorkerd({ script: inject('bundle'), bindings: { ROUTES: { routes } }, cacheStore: `127.0.0.1:${store.port}` });
    gateways.push(gateway);
    // One host name for all of them, as one domain is redeployed (the host is part of the key).
    return (path: string) => request(gateway.url, path, { headers: { host: 'gateway.test' } }).then((res) => res.headers['cache-status'] as string);
  };

  it('find the same config\'s entries, but never those of another version or config', async () => {
    const v1 = [{ path: '/v', origin: origin.url, cache: { version: '1' } }];
    const first = await deploy(v1);
    expect(await first('/v/x')).toMatch(/stored/);
    await expect.poll(() => first('/v/x')).toMatch(/hit/);

    // A second deployment of the same config reads what the first stored.
    expect(await (await deploy(v1))('/v/x')).toMatch(/hit/);
    // A new version starts afresh...
    expect(await (await deploy([{ path: '/v', origin: origin.url, cache: { version: '2' } }]))('/v/x')).toMatch(/fwd=uri-miss/);
    // ...and so does a config whose URL mapping changed (rewritten answers would name old paths).
    expect(await (await deploy([...v1, { path: '/other', origin: `${origin.url}/other` }]))('/v/x')).toMatch(/fwd=uri-miss/);
    expect(count('/x')).toBe(3);
  });
});
