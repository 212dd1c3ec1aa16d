// Caching through the real gateway in workerd, its Cache API backed by scripts/cache-service.js
// (as under npm run serve), against origins on 127.0.0.1 that count what they receive.
import type http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from './support/gateway.ts';
import { request, type RawResponse } from './support/http.ts';
import { closedPort, readBody, startOrigin, type Origin } from './support/origin.ts';

type Behaviour = (req: http.IncomingMessage, res: http.ServerResponse, count: number) => unknown;

let origin: Origin;
let flaky: Origin;
let gateway: Gateway;
const behaviours = new Map<string, Behaviour>();
/** Requests the origin received for a path (any query). */
const seen = (path: string) => origin.seen.filter((entry) => entry.url.split('?')[0] === path);
const count = (path: string) => seen(path).length;

let unique = 0;
/** A path of its own for each test, answered by `behaviour`. */
function path(behaviour: Behaviour): string {
  const name = `/p${++unique}`;
  behaviours.set(name, behaviour);
  return name;
}

const json = (headers: Record<string, string | string[]> = {}): Behaviour => (_req, res, n) => {
  const body = JSON.stringify({ n });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length), ...headers });
  res.end(body);
};

const statusOf = (res: RawResponse) => res.headers['cache-status'] as string | undefined;

beforeAll(async () => {
  origin = await startOrigin(async (req, res) => {
    const name = req.url!.split('?')[0]!;
    const behaviour = behaviours.get(name.replace(/^\/(base|img|css)/, ''));
    if (!behaviour) return res.writeHead(404).end();
    await readBody(req);
    return behaviour(req, res, count(name));
  });
  flaky = await startOrigin((_req, res) => res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'max-age=1' }).end('flaky page'));
  const api = origin.url;
  const closed = `http://127.0.0.1:${await closedPort()}`;
  gateway = await startGateway(
    {
      routes: [
        { path: '/c', origin: api, cache: true },
        { path: '/ttl', origin: api, cache: { ttl: 60 } },
        { path: '/override', origin: api, cache: { ttl: 60, override: true } },
        { path: '/stale', origin: api, cache: { staleWhileRevalidate: 30, staleIfError: 60 }, timeout: 1000 },
        { path: '/q-none', origin: api, cache: { ttl: 60, query: 'none' } },
        { path: '/q-list', origin: api, cache: { ttl: 60, query: ['page'] } },
        { path: '/vary', origin: api, cache: { ttl: 60, vary: ['X-Tenant'] } },
        { path: '/ignore', origin: api, cache: { ttl: 60, cookies: 'ignore' } },
        { path: '/keyed', origin: api, cache: { ttl: 60 }, headers: { request: { set: { Authorization: 'Bearer ${API_KEY}' } } } },
        { path: '/keyed-plain', origin: api, headers: { request: { set: { Authorization: 'Bearer ${API_KEY}' } } } },
        { path: '/small', origin: api, cache: { ttl: 60, maxEntryBytes: 1000 } },
        { path: '/cors', origin: api, cache: { ttl: 60 }, cors: { origins: ['https://a.example', 'https://b.example'] } },
        { path: '/site', origin: `${api}/base`, cache: { ttl: 60 } },
        { path: '/sie', origin: api, cache: { staleIfError: 60 }, timeout: 1000 },
        { path: '/down', origin: flaky.url, cache: { staleIfError: 60 } },
        { path: '/down-plain', origin: closed, cache: true },
      ],
    },
    { API_KEY: 'sk-cache-test-123456' },
  );
});
afterAll(async () => {
  await gateway?.stop();
  await Promise.all([origin?.close(), flaky?.close()]);
});

describe('hit after miss', () => {
  it('asks the origin once, and says so in Cache-Status with the remaining freshness and Age', async () => {
    const p = path(json({ 'cache-control': 'max-age=60' }));
    const first = await request(gateway.url, `/c${p}`);
    const second = await request(gateway.url, `/c${p}`);
    expect(statusOf(first)).toBe('switchyard; fwd=uri-miss; stored');
    expect(first.headers['content-length']).toBe('7');
    expect(statusOf(second)).toMatch(/^switchyard; hit; ttl=(60|59)$/);
    expect(second.headers.age).toMatch(/^[01]$/);
    expect(second.text).toBe(first.text);
    expect(second.headers['cache-control']).toBe('max-age=60');
    // Nothing of the store's own bookkeeping reaches the client.
    expect(Object.keys(second.headers).filter((name) => name.startsWith('x-switchyard') || name === 'cf-cache-status')).toEqual([]);
    expect(count(p)).toBe(1);
  });

  it('reports the outcome in Server-Timing and the access log line', async () => {
    const p = path(json({ 'cache-control': 'max-age=60' }));
    const miss = await request(gateway.url, `/c${p}`);
    const hit = await request(gateway.url, `/c${p}`);
    expect(miss.headers['server-timing']).toMatch(/^gateway;dur=\d+, origin;dur=\d+, cache;desc="fwd=uri-miss; stored"$/);
    expect(hit.headers['server-timing']).toMatch(/^gateway;dur=\d+, cache;desc="hit; ttl=\d+"$/);
    const line = await gateway.logFor((entry) => entry.id === hit.headers['x-request-id']);
    expect(line).toMatchObject({ route: '/c', status: 200, cache: expect.stringMatching(/^hit; ttl=/) });
    expect(line.origin ?? null).toBeNull();
  });

  it('counts the Age the origin sent against the freshness', async () => {
    const p = path(json({ 'cache-control': 'max-age=60', age: '50' }));
    await request(gateway.url, `/c${p}`);
    const hit = await request(gateway.url, `/c${p}`);
    expect(statusOf(hit)).toMatch(/^switchyard; hit; ttl=(10|9)$/);
    expect(hit.headers.age).toMatch(/^5[01]$/);
  });

  it('uses the route ttl where the origin gives no freshness, and s-maxage over max-age', async () => {
    const none = path(json());
    await request(gateway.url, `/ttl${none}`);
    expect(statusOf(await request(gateway.url, `/ttl${none}`))).toMatch(/^switchyard; hit; ttl=(60|59)$/);
    const shared = path(json({ 'cache-control': 'max-age=5, s-maxage=30' }));
    await request(gateway.url, `/ttl${shared}`);
    expect(statusOf(await request(gateway.url, `/ttl${shared}`))).toMatch(/ttl=(30|29)$/);
    expect(count(none) + count(shared)).toBe(2);
  });

  it('lets the ttl win with override, even over no-cache', async () => {
    const p = path(json({ 'cache-control': 'max-age=5, no-cache' }));
    await request(gateway.url, `/override${p}`);
    expect(statusOf(await request(gateway.url, `/override${p}`))).toMatch(/^switchyard; hit; ttl=(60|59)$/);
    expect(count(p)).toBe(1);
  });

  it('stores nothing without freshness on a plain cache: true', async () => {
    const p = path(json());
    expect(statusOf(await request(gateway.url, `/c${p}`))).toBe('switchyard; fwd=uri-miss; detail=no-freshness');
    await request(gateway.url, `/c${p}`);
    expect(count(p)).toBe(2);
  });

  it('serves HEAD from the GET entry, and fills a cold one with a GET', async () => {
    const p = path(json({ 'cache-control': 'max-age=60' }));
    const head = await request(gateway.url, `/c${p}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(seen(p).map((entry) => entry.method)).toEqual(['GET']);
    const get = await request(gateway.url, `/c${p}`);
    expect(statusOf(get)).toMatch(/hit/);
    expect(get.json()).toEqual({ n: 1 });
    const again = await request(gateway.url, `/c${p}`, { method: 'HEAD' });
    expect(statusOf(again)).toMatch(/hit/);
    expect(again.headers['content-length']).toBe('7');
    expect(count(p)).toBe(1);
  });
});

describe('never stored', () => {
  const twice = async (route: string, p: string, options: Parameters<typeof request>[2] = {}) => {
    const first = await request(gateway.url, `${route}${p}`, options);
    await request(gateway.url, `${route}${p}`, options);
    return { first, origin: count(p) };
  };

  it.each([
    ['no-store', { 'cache-control': 'max-age=60, no-store' }, 'fwd=uri-miss; detail=no-store'],
    ['private', { 'cache-control': 'private, max-age=60' }, 'fwd=uri-miss; detail=private'],
    ['Vary: *', { 'cache-control': 'max-age=60', vary: '*' }, 'fwd=uri-miss; detail=vary-star'],
    ['Set-Cookie', { 'cache-control': 'max-age=60', 'set-cookie': 'sid=1' }, 'fwd=uri-miss; detail=set-cookie'],
  ])('%s', async (_name, headers, status) => {
    const { first, origin: asked } = await twice('/c', path(json(headers)));
    expect(statusOf(first)).toBe(`switchyard; ${status}`);
    expect(asked).toBe(2);
  });

  it('a status not cacheable by default without explicit freshness (a ttl is not explicit)', async () => {
    const p = path((_req, res) => res.writeHead(302, { location: '/elsewhere' }).end());
    const { first, origin: asked } = await twice('/ttl', p);
    expect(statusOf(first)).toBe('switchyard; fwd=uri-miss; detail=status');
    expect(asked).toBe(2);
    // With max-age the origin makes it cacheable.
    const explicit = path((_req, res) => res.writeHead(302, { location: '/elsewhere', 'cache-control': 'max-age=60' }).end());
    expect((await twice('/c', explicit)).origin).toBe(1);
  });

  it('an answer to a request carrying Authorization, unless the response says public', async () => {
    const p = path(json({ 'cache-control': 'max-age=60' }));
    const { first, origin: asked } = await twice('/c', p, { headers: { authorization: 'Bearer mine' } });
    expect(statusOf(first)).toBe('switchyard; fwd=bypass; detail=authorization');
    expect(asked).toBe(2);
    const open = path(json({ 'cache-control': 'public, max-age=60' }));
    const stored = await twice('/c', open, { headers: { authorization: 'Bearer mine' } });
    expect(statusOf(stored.first)).toBe('switchyard; fwd=bypass; stored');
    expect(stored.origin).toBe(1);
  });

  it('a request carrying a cookie, which is forwarded and not looked up', async () => {
    const p = path(json({ 'cache-control': 'max-age=60' }));
    await request(gateway.url, `/c${p}`);
    const withCookie = await request(gateway.url, `/c${p}`, { headers: { cookie: 'session=abc' } });
    expect(statusOf(withCookie)).toBe('switchyard; fwd=bypass; detail=cookie');
    expect(withCookie.json()).toEqual({ n: 2 });
    expect(seen(p)[1]!.headers.cookie).toBe('session=abc');
  });

  it('but the gateway\'s own site cookie does not count', async () => {
    const p = path(json({ 'cache-control': 'max-age=60' }));
    await request(gateway.url, `/c${p}`);
    const hit = await request(gateway.url, `/c${p}`, { headers: { cookie: 'switchyard-site=%2Fc' } });
    expect(statusOf(hit)).toMatch(/hit/);
    expect(count(p)).toBe(1);
  });
});

describe('what is cached despite identity', () => {
  it('cookies: "ignore" caches requests with cookies and keeps the cookies from the origin', async () => {
    const p = path(json());
    await request(gateway.url, `/ignore${p}`, { headers: { cookie: 'session=alice' } });
    const other = await request(gateway.url, `/ignore${p}`, { headers: { cookie: 'session=bob' } });
    expect(statusOf(other)).toMatch(/hit/);
    expect(count(p)).toBe(1);
    expect(seen(p)[0]!.headers.cookie).toBeUndefined();
  });

  it('an Authorization the gateway injects is the same for everyone: cached', async () => {
    const p = path(json());
    await request(gateway.url, `/keyed${p}`, { headers: { authorization: 'Bearer client-own' } });
    const hit = await request(gateway.url, `/keyed${p}`);
    expect(statusOf(hit)).toMatch(/hit/);
    expect(count(p)).toBe(1);
    expect(seen(p)[0]!.headers.authorization).toBe('Bearer sk-cache-test-123456');
  });
});

describe('injected secrets', () => {
  const echo: Behaviour = (req, res) => {
    const body = JSON.stringify({ authorization: req.headers.authorization, range: req.headers.range ?? null });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'cache-control': 'max-age=60' }).end(body);
  };

  it('are masked in what is stored, so no byte range of an entry can show part of one', async () => {
    const p = path(echo);
    const whole = await request(gateway.url, `/keyed${p}`);
    const at = whole.text.indexOf('*');
    expect(whole.text).not.toContain('sk-cache');
    for (const range of [`bytes=${at + 3}-${at + 12}`, `bytes=${at}-`, `bytes=0-${at + 5}`]) {
      const part = await request(gateway.url, `/keyed${p}`, { headers: { range } });
      expect(part.status, range).toBe(206);
      expect(part.text, range).not.toMatch(/[a-z0-9]{3}-/);
      expect(part.text.replace(/[^*]/g, '').length, range).toBeGreaterThan(0);
    }
    expect(count(p)).toBe(1);
  });

  it('take Range from requests to the origin, on routes without cache too: the whole body is masked', async () => {
    const p = path(echo);
    const res = await request(gateway.url, `/keyed-plain${p}`, { headers: { range: 'bytes=20-30', 'if-range': '"x"' } });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ authorization: 'Bearer ********************', range: null });
    expect(seen(p)[0]!.headers['if-range']).toBeUndefined();
  });
});

describe('keys', () => {
  it('sort the query by default', async () => {
    const p = path(json());
    await request(gateway.url, `/ttl${p}?b=2&a=1`);
    expect(statusOf(await request(gateway.url, `/ttl${p}?a=1&b=2`))).toMatch(/hit/);
    await request(gateway.url, `/ttl${p}?a=1&b=3`);
    expect(count(p)).toBe(2);
  });

  it('leave the query out with "none", and keep only the listed names', async () => {
    const none = path(json());
    await request(gateway.url, `/q-none${none}?utm=1`);
    expect(statusOf(await request(gateway.url, `/q-none${none}?utm=2`))).toMatch(/hit/);
    const list = path(json());
    await request(gateway.url, `/q-list${list}?page=1&utm=a`);
    expect(statusOf(await request(gateway.url, `/q-list${list}?utm=b&page=1`))).toMatch(/hit/);
    await request(gateway.url, `/q-list${list}?page=2&utm=a`);
    expect(count(none)).toBe(1);
    expect(count(list)).toBe(2);
  });

  it('split on the headers the origin\'s Vary names', async () => {
    const p = path((req, res, n) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'max-age=60', vary: 'Accept-Language' });
      res.end(`${req.headers['accept-language']} ${n}`);
    });
    const en = await request(gateway.url, `/c${p}`, { headers: { 'accept-language': 'en' } });
    const fr = await request(gateway.url, `/c${p}`, { headers: { 'accept-language': 'fr' } });
    expect(statusOf(fr)).toBe('switchyard; fwd=vary-miss; stored');
    const enAgain = await request(gateway.url, `/c${p}`, { headers: { 'accept-language': 'en' } });
    const frAgain = await request(gateway.url, `/c${p}`, { headers: { 'accept-language': 'fr' } });
    expect([en.text, fr.text, enAgain.text, frAgain.text]).toEqual(['en 1', 'fr 2', 'en 1', 'fr 2']);
    expect(statusOf(frAgain)).toMatch(/hit/);
    expect(count(p)).toBe(2);
  });

  it('keep a compressed answer for the clients that take its coding, even without Vary from the origin', async () => {
    const p = path((req, res, n) => {
      const text = `compressible ${n} `.repeat(50);
      if (/gzip/.test(String(req.headers['accept-encoding']))) {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip', 'cache-control': 'max-age=60' }).end(gzipSync(text));
      } else res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'max-age=60' }).end(text);
    });
    const gzip = { headers: { 'accept-encoding': 'gzip, deflate' } };
    const zipped = await request(gateway.url, `/c${p}`, gzip);
    const plain = await request(gateway.url, `/c${p}`);
    const zippedAgain = await request(gateway.url, `/c${p}`, { headers: { 'accept-encoding': 'deflate, gzip;q=0.8' } });
    const plainAgain = await request(gateway.url, `/c${p}`, { headers: { 'accept-encoding': 'identity' } });
    expect(statusOf(plain)).toBe('switchyard; fwd=vary-miss; stored');
    for (const res of [zipped, zippedAgain]) {
      expect(res.headers['content-encoding']).toBe('gzip');
      expect(gunzipSync(res.body).toString()).toBe('compressible 1 '.repeat(50));
    }
    for (const res of [plain, plainAgain]) {
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(res.text).toBe('compressible 2 '.repeat(50));
    }
    expect([statusOf(zippedAgain), statusOf(plainAgain)].every((status) => /hit/.test(status!))).toBe(true);
    expect(count(p)).toBe(2);
  });

  it('pass a compressed answer with a Content-Length whole to the client on the miss that stores it, and ignore Range on it', async () => {
    const text = 'precompressed '.repeat(40);
    const zipped = gzipSync(text);
    const p = path((_req, res) => res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip', 'content-length': String(zipped.length), 'cache-control': 'max-age=60' }).end(zipped));
    const gzip = { 'accept-encoding': 'gzip' };
    const miss = await request(gateway.url, `/c${p}`, { headers: gzip });
    expect(gunzipSync(miss.body).toString()).toBe(text);
    const range = await request(gateway.url, `/c${p}`, { headers: { ...gzip, range: 'bytes=0-9' } });
    expect(statusOf(range)).toMatch(/hit/);
    expect(range.status).toBe(200);
    expect(gunzipSync(range.body).toString()).toBe(text);
  });

  it('split on the route\'s own vary headers, say so in Vary, and drop every such variant after a POST', async () => {
    const p = path((req, res, n) => res.writeHead(200, { 'content-type': 'text/plain' }).end(`${req.headers['x-tenant']} ${n}`));
    const a = await request(gateway.url, `/vary${p}`, { headers: { 'x-tenant': 'a' } });
    const b = await request(gateway.url, `/vary${p}`, { headers: { 'x-tenant': 'b' } });
    const a2 = await request(gateway.url, `/vary${p}`, { headers: { 'x-tenant': 'a' } });
    expect([a.text, b.text, a2.text]).toEqual(['a 1', 'b 2', 'a 1']);
    expect(a2.headers.vary).toBe('x-tenant');
    expect(count(p)).toBe(2);
    await request(gateway.url, `/vary${p}`, { method: 'POST', body: 'x', headers: { 'x-tenant': 'a' } });
    await sleep(50);
    expect(statusOf(await request(gateway.url, `/vary${p}`, { headers: { 'x-tenant': 'b' } }))).toMatch(/^switchyard; fwd=uri-miss; stored/);
  });

  it('keep an answer that names one page origin in Access-Control-Allow-Origin for that origin, on a route without cors', async () => {
    // An origin that reflects Origin and forgets Vary: the leak peer caches are known for.
    const p = path((req, res, n) => res.writeHead(200, { 'access-control-allow-origin': String(req.headers.origin), 'cache-control': 'max-age=60' }).end(`for ${req.headers.origin} ${n}`));
    const evil = await request(gateway.url, `/c${p}`, { headers: { origin: 'https://evil.example' } });
    const app = await request(gateway.url, `/c${p}`, { headers: { origin: 'https://app.example' } });
    const appAgain = await request(gateway.url, `/c${p}`, { headers: { origin: 'https://app.example' } });
    expect(evil.headers['access-control-allow-origin']).toBe('https://evil.example');
    expect(app.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(statusOf(app)).toBe('switchyard; fwd=vary-miss; stored');
    expect([appAgain.text, statusOf(appAgain)!.includes('hit')]).toEqual(['for https://app.example 2', true]);
    expect(appAgain.headers.vary).toBe('origin');
  });

  it('keep a Cache-Status from caches nearer the origin, and not the origin\'s Server-Timing, which hits do not spend', async () => {
    const p = path((_req, res) => res.writeHead(200, { 'cache-control': 'max-age=60', 'cache-status': 'OriginCDN; fwd=uri-miss', 'server-timing': 'db;dur=53' }).end('x'));
    const miss = await request(gateway.url, `/c${p}`);
    const hit = await request(gateway.url, `/c${p}`);
    expect(miss.headers['cache-status']).toBe('OriginCDN; fwd=uri-miss, switchyard; fwd=uri-miss; stored');
    expect(hit.headers['cache-status']).toMatch(/^OriginCDN; fwd=uri-miss, switchyard; hit; ttl=/);
    expect(miss.headers['server-timing']).toContain('db;dur=53');
    expect(hit.headers['server-timing']).not.toContain('db;dur');
  });
});

describe('invalidation', () => {
  it('a successful POST to a URL drops its entry; a failed one does not', async () => {
    const p = path((req, res, n) => {
      if (req.method === 'POST' && req.headers['x-fail']) return res.writeHead(500).end();
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=60' }).end(JSON.stringify({ n }));
    });
    await request(gateway.url, `/c${p}`);
    const failed = await request(gateway.url, `/c${p}`, { method: 'POST', body: 'x', headers: { 'x-fail': '1' } });
    expect(statusOf(failed)).toBe('switchyard; fwd=method');
    expect(statusOf(await request(gateway.url, `/c${p}`))).toMatch(/hit/);
    await request(gateway.url, `/c${p}`, { method: 'POST', body: 'x' });
    await sleep(50);
    const after = await request(gateway.url, `/c${p}`);
    expect(statusOf(after)).toBe('switchyard; fwd=uri-miss; stored');
    expect(after.json()).toEqual({ n: 4 });
  });

  it('DELETE of a URL whose answer varies drops every variant', async () => {
    const p = path((req, res, n) => res.writeHead(200, { 'cache-control': 'max-age=60', vary: 'Accept-Language' }).end(`${req.headers['accept-language']} ${n}`));
    await request(gateway.url, `/c${p}`, { headers: { 'accept-language': 'en' } });
    await request(gateway.url, `/c${p}`, { headers: { 'accept-language': 'fr' } });
    await request(gateway.url, `/c${p}`, { method: 'DELETE' });
    await sleep(50);
    const en = await request(gateway.url, `/c${p}`, { headers: { 'accept-language': 'en' } });
    const fr = await request(gateway.url, `/c${p}`, { headers: { 'accept-language': 'fr' } });
    expect(statusOf(en)).toMatch(/^switchyard; fwd=uri-miss; stored/);
    expect(statusOf(fr)).toMatch(/^switchyard; fwd=vary-miss; stored/);
    expect([en.text, fr.text]).toEqual(['en 4', 'fr 5']);
  });
});

describe('conditional and range requests', () => {
  const tagged = () => path((req, res, n) => {
    if (req.headers['if-none-match'] === '"v1"') return res.writeHead(304, { etag: '"v1"', 'cache-control': 'max-age=60' }).end();
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '12', etag: '"v1"', 'last-modified': 'Wed, 01 Jan 2025 00:00:00 GMT', 'cache-control': 'max-age=60' });
    res.end(`0123456789 ${n}`);
  });

  it('answers If-None-Match with 304 from a fresh entry, without the origin', async () => {
    const p = tagged();
    await request(gateway.url, `/c${p}`);
    const res = await request(gateway.url, `/c${p}`, { headers: { 'if-none-match': 'W/"x", "v1"' } });
    expect(res.status).toBe(304);
    expect(res.headers.etag).toBe('"v1"');
    expect(statusOf(res)).toMatch(/hit/);
    const since = await request(gateway.url, `/c${p}`, { headers: { 'if-modified-since': 'Thu, 02 Jan 2025 00:00:00 GMT' } });
    expect(since.status).toBe(304);
    expect(count(p)).toBe(1);
  });

  it('asks the origin for the whole answer on a miss, then answers the client\'s condition itself', async () => {
    const p = tagged();
    const res = await request(gateway.url, `/c${p}`, { headers: { 'if-none-match': '"v1"' } });
    expect(res.status).toBe(304);
    expect(seen(p)[0]!.headers['if-none-match']).toBeUndefined();
    expect((await request(gateway.url, `/c${p}`)).text).toBe('0123456789 1');
  });

  it('passes a Range that starts past maxEntryBytes to the origin: such an answer is never stored', async () => {
    const p = path((req, res) => {
      res.writeHead(req.headers.range ? 206 : 200, { 'content-type': 'text/plain', 'cache-control': 'max-age=60', ...(req.headers.range && { 'content-range': 'bytes 5000-5009/6000' }) });
      res.end(req.headers.range ? 'tenbytes!!' : 'x'.repeat(6000));
    });
    const res = await request(gateway.url, `/small${p}`, { headers: { range: 'bytes=5000-5009' } });
    expect([res.status, res.text]).toEqual([206, 'tenbytes!!']);
    expect(seen(p)[0]!.headers.range).toBe('bytes=5000-5009');
    expect(statusOf(res)).toBe('switchyard; fwd=uri-miss; detail=status');
  });

  it('passes the client\'s own conditions on when its Authorization bypasses the cache', async () => {
    const p = tagged();
    const res = await request(gateway.url, `/c${p}`, { headers: { authorization: 'Bearer mine', 'if-none-match': '"v1"' } });
    expect(res.status).toBe(304);
    expect(seen(p)[0]!.headers['if-none-match']).toBe('"v1"');
  });

  it('serves a Range from a stored full 200, and on the miss that fills it', async () => {
    const p = tagged();
    const miss = await request(gateway.url, `/c${p}`, { headers: { range: 'bytes=2-5' } });
    expect(miss.status).toBe(206);
    expect(miss.text).toBe('2345');
    expect(seen(p)[0]!.headers.range).toBeUndefined();
    const hit = await request(gateway.url, `/c${p}`, { headers: { range: 'bytes=-3' } });
    expect(hit.status).toBe(206);
    expect(hit.headers['content-range']).toBe('bytes 9-11/12');
    expect(hit.text).toBe('9 1');
    expect(hit.headers['content-range']).toBe('bytes 9-11/12');
    const beyond = await request(gateway.url, `/c${p}`, { headers: { range: 'bytes=50-' } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers['content-range']).toBe('bytes */12');
    const stale = await request(gateway.url, `/c${p}`, { headers: { range: 'bytes=0-1', 'if-range': '"v0"' } });
    expect([stale.status, stale.text]).toEqual([200, '0123456789 1']);
    expect(count(p)).toBe(1);
  });
});

describe('stale entries', () => {
  /** A path stored fresh for 1 s with ETag "v1", then stale; its origin answers a revalidation with 304 and `cacheControl`. */
  async function storedThenStale(cacheControl: string): Promise<string> {
    const p = path((req, res, n) => {
      if (req.headers['if-none-match'] === '"v1"') return res.writeHead(304, { etag: '"v1"', 'cache-control': cacheControl }).end();
      res.writeHead(200, { 'content-type': 'text/plain', etag: '"v1"', 'cache-control': 'max-age=1' }).end(`body ${n}`);
    });
    await request(gateway.url, `/c${p}`);
    await sleep(1100);
    return p;
  }

  it('are revalidated with their validators, and a 304 from the origin refreshes them', async () => {
    const p = await storedThenStale('max-age=60');
    const revalidated = await request(gateway.url, `/c${p}`);
    expect(statusOf(revalidated)).toBe('switchyard; fwd=stale; fwd-status=304; stored');
    expect(revalidated.text).toBe('body 1');
    expect(seen(p)[1]!.headers['if-none-match']).toBe('"v1"');
    // The 304's max-age=60 now holds.
    expect(statusOf(await request(gateway.url, `/c${p}`))).toMatch(/^switchyard; hit; ttl=(60|59)$/);
    expect(count(p)).toBe(2);
  });

  it('are served, not stored again, when the origin\'s 304 no longer lets them be kept; the client never gets a 304 it did not ask for', async () => {
    const p = await storedThenStale('private, max-age=60');
    const res = await request(gateway.url, `/c${p}`);
    expect([res.status, res.text]).toEqual([200, 'body 1']);
    expect(res.headers['cache-control']).toBe('private, max-age=60');
    expect(statusOf(res)).toBe('switchyard; fwd=stale; fwd-status=304; detail=private');
    await sleep(50);
    // The entry is gone: the next request asks without validators.
    const next = await request(gateway.url, `/c${p}`);
    expect(statusOf(next)).toMatch(/^switchyard; fwd=uri-miss/);
    expect(seen(p)[2]!.headers['if-none-match']).toBeUndefined();
  });

  it('are replaced when the origin answers the revalidation with a new 200', async () => {
    const p = path((_req, res, n) => res.writeHead(200, { etag: `"v${n}"`, 'cache-control': 'max-age=1' }).end(`body ${n}`));
    await request(gateway.url, `/c${p}`);
    await sleep(1100);
    const fresh = await request(gateway.url, `/c${p}`);
    expect(statusOf(fresh)).toBe('switchyard; fwd=stale; fwd-status=200; stored');
    expect(fresh.text).toBe('body 2');
  });

  it('stale-while-revalidate: served at once while one background request refreshes them', async () => {
    const p = path((_req, res, n) => setTimeout(() => res.writeHead(200, { 'cache-control': 'max-age=1' }).end(`body ${n}`), n > 1 ? 300 : 0));
    await request(gateway.url, `/stale${p}`);
    await sleep(1100);
    const stale = await Promise.all(Array.from({ length: 5 }, () => request(gateway.url, `/stale${p}`)));
    for (const res of stale) {
      expect(res.text).toBe('body 1');
      expect(statusOf(res)).toMatch(/^switchyard; hit; ttl=-?\d+; detail=stale-while-revalidate$/);
    }
    await sleep(600);
    expect(count(p)).toBe(2);
    // Under the id of the request that set it off.
    expect(stale.map((res) => res.headers['x-request-id'])).toContain(seen(p)[1]!.headers['x-request-id']);
    const refreshed = await request(gateway.url, `/stale${p}`);
    expect(refreshed.text).toBe('body 2');
    expect(statusOf(refreshed)).toMatch(/hit; ttl=/);
  });

  it('stale-if-error: served when the origin answers 5xx or does not answer in time', async () => {
    let broken: 'no' | '503' | 'hang' = 'no';
    const p = path((_req, res, n) => {
      if (broken === '503') return res.writeHead(503).end('down');
      // Never answers: the route's 1 s timeout.
      if (broken === 'hang') return;
      res.writeHead(200, { 'cache-control': 'max-age=1' }).end(`body ${n}`);
    });
    await request(gateway.url, `/sie${p}`);
    await sleep(1100);
    broken = '503';
    const unavailable = await request(gateway.url, `/sie${p}`);
    expect([unavailable.status, unavailable.text]).toEqual([200, 'body 1']);
    expect(statusOf(unavailable)).toMatch(/^switchyard; fwd=stale; fwd-status=503; ttl=-?\d+; detail=stale-if-error$/);
    broken = 'hang';
    const slow = await request(gateway.url, `/sie${p}`);
    expect([slow.status, slow.text]).toEqual([200, 'body 1']);
    expect(statusOf(slow)).toMatch(/fwd-status=504; ttl=-?\d+; detail=stale-if-error$/);
    broken = 'no';
    expect((await request(gateway.url, `/sie${p}`)).text).toBe('body 4');
  });

  it('stale-if-error: served when the origin is unreachable, and not past its window', async () => {
    await request(gateway.url, '/down/page');
    await sleep(1100);
    await flaky.close();
    const down = await request(gateway.url, '/down/page');
    expect([down.status, down.text]).toEqual([200, 'flaky page']);
    expect(statusOf(down)).toMatch(/^switchyard; fwd=stale; fwd-status=502; ttl=-?\d+; detail=stale-if-error$/);
    // Without stale-if-error the origin's failure is the answer, with Cache-Status too.
    const plain = await request(gateway.url, '/down-plain/page');
    expect(plain.status).toBe(502);
    expect(statusOf(plain)).toBe('switchyard; fwd=uri-miss');
  });
});

describe('concurrent misses', () => {
  it('make one origin request; the others wait for it', async () => {
    const p = path((_req, res, n) => setTimeout(() => res.writeHead(200, { 'cache-control': 'max-age=60' }).end(`body ${n}`), 300));
    const answers = await Promise.all(Array.from({ length: 20 }, () => request(gateway.url, `/c${p}`)));
    expect(count(p)).toBe(1);
    expect(new Set(answers.map((res) => res.text))).toEqual(new Set(['body 1']));
    const statuses = answers.map(statusOf);
    expect(statuses.filter((status) => status === 'switchyard; fwd=uri-miss; stored')).toHaveLength(1);
    expect(statuses.filter((status) => status === 'switchyard; fwd=uri-miss; collapsed')).toHaveLength(19);
  });

  it('each go to the origin when the first answer may not be stored', async () => {
    const p = path((_req, res, n) => setTimeout(() => res.writeHead(200, { 'cache-control': 'no-store' }).end(`body ${n}`), 100));
    await Promise.all(Array.from({ length: 5 }, () => request(gateway.url, `/c${p}`)));
    expect(count(p)).toBe(5);
  });
});

describe('per-request parts', () => {
  it('a CORS route read from two page origins: each gets its own Access-Control-Allow-Origin from one entry', async () => {
    const p = path(json({ 'access-control-allow-origin': 'https://origin-set.example' }));
    const a = await request(gateway.url, `/cors${p}`, { headers: { origin: 'https://a.example' } });
    const b = await request(gateway.url, `/cors${p}`, { headers: { origin: 'https://b.example' } });
    const stranger = await request(gateway.url, `/cors${p}`, { headers: { origin: 'https://evil.example' } });
    expect(a.headers['access-control-allow-origin']).toBe('https://a.example');
    expect(b.headers['access-control-allow-origin']).toBe('https://b.example');
    expect(stranger.headers['access-control-allow-origin']).toBeUndefined();
    expect(statusOf(b)).toMatch(/hit/);
    expect(statusOf(stranger)).toMatch(/hit/);
    expect(b.headers.vary).toMatch(/origin/i);
    expect(count(p)).toBe(1);
  });

  it('a rewritten page is stored rewritten and served byte-identical, without the origin', async () => {
    const p = path((_req, res, n) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', etag: '"page"', 'last-modified': 'Wed, 01 Jan 2025 00:00:00 GMT' });
      res.end(`<a href="${origin.url}/base/x">x</a><img src="/img/logo.png"><link rel=stylesheet href="${origin.url}/css/a.css"> ${n}`);
    });
    const first = await request(gateway.url, `/site${p}`, { headers: { 'sec-fetch-dest': 'document' } });
    // Absolute links to the origin became gateway paths (root-relative ones: the first route on that origin).
    expect(first.text).toBe('<a href="/site/x">x</a><img src="/c/img/logo.png"><link rel=stylesheet href="/c/css/a.css"> 1');
    const hits = await Promise.all([1, 2, 3].map(() => request(gateway.url, `/site${p}`)));
    for (const hit of hits) {
      expect(hit.body.equals(first.body)).toBe(true);
      expect(statusOf(hit)).toMatch(/hit/);
      expect(hit.headers.etag).toBe('W/"page"');
      expect(hit.headers['last-modified']).toBeUndefined();
    }
    expect(count(`/base${p}`)).toBe(1);
  });

  it('a script the sticky site serves keeps its service worker inside the route, however it was first asked for', async () => {
    const p = path((_req, res) => res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'max-age=60' }).end('self.onfetch = () => {};'));
    const sticky = { cookie: 'switchyard-site=%2Fsite' };
    const plain = await request(gateway.url, p, { headers: sticky });
    const registration = await request(gateway.url, p, { headers: { ...sticky, 'service-worker': 'script' } });
    expect(statusOf(registration)).toMatch(/hit/);
    for (const res of [plain, registration]) expect(res.headers['service-worker-allowed']).toBe('/site/');
  });

  it('the site cookie is set per answer, never stored', async () => {
    const p = path((_req, res) => res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'max-age=60' }).end('<p>page</p>'));
    const first = await request(gateway.url, `/site${p}`, { headers: { 'sec-fetch-dest': 'document' } });
    expect(first.headers['set-cookie']).toEqual(['switchyard-site=%2Fsite; Path=/; SameSite=Lax; HttpOnly']);
    const already = await request(gateway.url, `/site${p}`, { headers: { 'sec-fetch-dest': 'document', cookie: 'switchyard-site=%2Fsite' } });
    expect(statusOf(already)).toMatch(/hit/);
    expect(already.headers['set-cookie']).toBeUndefined();
    const fresh = await request(gateway.url, `/site${p}`, { headers: { 'sec-fetch-dest': 'document' } });
    expect(fresh.headers['set-cookie']).toEqual(['switchyard-site=%2Fsite; Path=/; SameSite=Lax; HttpOnly']);
  });
});

describe('what does not fit', () => {
  it('a response over maxEntryBytes is served whole and not stored, whether or not its length is known', async () => {
    const big = 'x'.repeat(5000);
    const known = path((_req, res) => res.writeHead(200, { 'content-length': String(big.length) }).end(big));
    const chunked = path((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write(big.slice(0, 600));
      setTimeout(() => res.end(big.slice(600)), 20);
    });
    for (const p of [known, chunked]) {
      const first = await request(gateway.url, `/small${p}`);
      expect(first.text).toBe(big);
      await sleep(50);
      const second = await request(gateway.url, `/small${p}`);
      expect(second.text).toBe(big);
      expect(statusOf(second)).toMatch(/^switchyard; fwd=uri-miss/);
      expect(count(p)).toBe(2);
    }
    expect(statusOf(await request(gateway.url, `/small${known}`))).toBe('switchyard; fwd=uri-miss; detail=too-big');
  });
});
