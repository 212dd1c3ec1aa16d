// CORS through the real gateway in workerd: preflights answered here, headers on every answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from './support/gateway.ts';
import { request } from './support/http.ts';
import { closedPort, startOrigin, type Origin } from './support/origin.ts';

let api: Origin;
let slow: Origin;
let gateway: Gateway;

const APP = 'https://app.example.com';

beforeAll(async () => {
  // An origin with CORS opinions of its own, which CORS routes must replace.
  api = await startOrigin((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.setHeader('x-upstream-token', 'tok-123');
    res.setHeader('access-control-allow-origin', 'https://upstream-choice.test');
    res.setHeader('access-control-allow-methods', 'GET');
    res.statusCode = req.url!.endsWith('/missing') ? 404 : 200;
    res.end(JSON.stringify({ method: req.method, url: req.url }));
  });
  slow = await startOrigin(() => undefined);
  const dead = await closedPort();
  gateway = await startGateway({
    routes: [
      { path: '/open', origin: api.url, cors: true },
      { path: '/creds', origin: api.url, cors: { origins: ['*'], credentials: true } },
      {
        path: '/list',
        origin: api.url,
        cors: {
          origins: [APP, 'https://*.preview.example.com', 'http://localhost:*'],
          methods: ['GET', 'PUT'],
          headers: ['Content-Type', 'X-Custom'],
          exposeHeaders: ['X-Upstream-Token'],
          maxAge: 120,
        },
      },
      { path: '/nullok', origin: api.url, cors: { origins: ['null'] } },
      { path: '/intl', origin: api.url, cors: { origins: ['https://bücher.example', 'http://[0:0:0:0:0:0:0:1]:5173'], methods: ['GET', 'PATCH'] } },
      { path: '/plain', origin: api.url },
      { path: '/dead', origin: `http://127.0.0.1:${dead}`, cors: true },
      { path: '/slow', origin: slow.url, cors: { origins: [APP], credentials: true }, timeout: 300 },
    ],
  });
});
afterAll(async () => {
  await gateway?.stop();
  await Promise.all([api?.close(), slow?.close()]);
});

const preflight = (path: string, origin: string, method: string, headers?: string) =>
  request(gateway.url, path, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': method,
      ...(headers ? { 'access-control-request-headers': headers } : {}),
    },
  });

const accessControlNames = (headers: Record<string, unknown>) => Object.keys(headers).filter((name) => name.startsWith('access-control-'));

describe('preflights', () => {
  it('answers an allowed preflight with 204 and never forwards it', async () => {
    const before = api.seen.length;
    const res = await preflight('/list/items', APP, 'PUT', 'content-type, x-custom');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(APP);
    expect(res.headers['access-control-allow-methods']).toBe('GET, PUT');
    expect(res.headers['access-control-allow-headers']).toBe('content-type, x-custom');
    expect(res.headers['access-control-max-age']).toBe('120');
    expect(res.headers.vary).toContain('Origin');
    expect(api.seen.length).toBe(before);
  });

  it('matches configured origins in the form browsers send them, and names a lower-case method as asked', async () => {
    const res = await preflight('/intl/x', 'https://xn--bcher-kva.example', 'patch');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://xn--bcher-kva.example');
    expect(res.headers['access-control-allow-methods']).toBe('GET, PATCH, patch');
    const ipv6 = await preflight('/intl/x', 'http://[::1]:5173', 'GET');
    expect(ipv6.headers['access-control-allow-origin']).toBe('http://[::1]:5173');
  });

  it('echoes the requested headers by default', async () => {
    const res = await preflight('/open/x', 'https://anyone.test', 'PATCH', 'X-One, Content-Type');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-methods']).toBe('PATCH');
    expect(res.headers['access-control-allow-headers']).toBe('x-one, content-type');
  });

  it('refuses a method that is not allowed with 403, a reason and no Allow-* headers', async () => {
    const before = api.seen.length;
    const res = await preflight('/list/items', APP, 'DELETE');
    expect(res.status).toBe(403);
    expect(accessControlNames(res.headers)).toEqual([]);
    expect(res.json().error.reason).toContain('DELETE');
    expect(res.json().error.route).toBe('/list');
    expect(api.seen.length).toBe(before);
  });

  it('refuses a header that is not allowed', async () => {
    const res = await preflight('/list/items', APP, 'PUT', 'content-type, x-secret');
    expect(res.status).toBe(403);
    expect(accessControlNames(res.headers)).toEqual([]);
    expect(res.json().error.reason).toContain('x-secret');
  });

  it('refuses an origin that is not allowed', async () => {
    const res = await preflight('/list/items', 'https://evil.test', 'GET');
    expect(res.status).toBe(403);
    expect(accessControlNames(res.headers)).toEqual([]);
  });

  it('sends OPTIONS upstream like any request with cors off', async () => {
    const before = api.seen.length;
    const res = await preflight('/plain/x', APP, 'PUT');
    expect(res.status).toBe(200);
    expect(api.seen.length).toBe(before + 1);
    expect(api.seen.at(-1)!.method).toBe('OPTIONS');
    expect(res.headers['access-control-allow-origin']).toBe('https://upstream-choice.test');
  });
});

describe('responses of CORS routes', () => {
  it('replaces upstream Access-Control-* and exposes the upstream\'s own headers by default', async () => {
    const res = await request(gateway.url, '/open/x', { headers: { origin: 'https://anyone.test' } });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-methods']).toBeUndefined();
    const exposed = String(res.headers['access-control-expose-headers']).split(', ');
    expect(exposed).toContain('x-upstream-token');
    expect(exposed).toContain('content-type');
    // The origin (Node) sends Connection and Keep-Alive; they never reach the page.
    expect(exposed).not.toContain('connection');
    expect(exposed).not.toContain('keep-alive');
  });

  it('echoes the origin with credentials and origins ["*"], never "*", with Vary: Origin', async () => {
    const res = await request(gateway.url, '/creds/x', { headers: { origin: 'https://one.test' } });
    expect(res.headers['access-control-allow-origin']).toBe('https://one.test');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers.vary).toContain('Origin');
  });

  it('uses configured exposeHeaders, plus the request id and Server-Timing', async () => {
    const res = await request(gateway.url, '/list/x', { headers: { origin: 'http://localhost:5173' } });
    expect(res.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    expect(res.headers['access-control-expose-headers']).toBe('X-Upstream-Token, x-request-id, server-timing');
  });

  it('gives wildcard look-alikes no CORS headers', async () => {
    for (const origin of ['https://evil-example.com', 'https://app.example.com.evil.com', 'https://preview.example.com', 'https://x.preview.example.com.evil.test']) {
      const res = await request(gateway.url, '/list/x', { headers: { origin } });
      expect(res.headers['access-control-allow-origin'], origin).toBeUndefined();
      expect(accessControlNames(res.headers), origin).toEqual([]);
    }
    const ok = await request(gateway.url, '/list/x', { headers: { origin: 'https://pr-7.preview.example.com' } });
    expect(ok.headers['access-control-allow-origin']).toBe('https://pr-7.preview.example.com');
  });

  it('allows the null origin only where it is listed', async () => {
    const open = await request(gateway.url, '/open/x', { headers: { origin: 'null' } });
    expect(open.headers['access-control-allow-origin']).toBeUndefined();
    const listed = await request(gateway.url, '/nullok/x', { headers: { origin: 'null' } });
    expect(listed.headers['access-control-allow-origin']).toBe('null');
  });

  it('carries CORS headers on upstream errors', async () => {
    const res = await request(gateway.url, '/open/missing', { headers: { origin: 'https://anyone.test' } });
    expect(res.status).toBe(404);
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });

  it('carries CORS headers on the gateway\'s own 502', async () => {
    const res = await request(gateway.url, '/dead/x', { headers: { origin: 'https://anyone.test' } });
    expect(res.status).toBe(502);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.json().error.route).toBe('/dead');
  });

  it('carries CORS headers on the gateway\'s own 504', async () => {
    const res = await request(gateway.url, '/slow/x', { headers: { origin: APP } });
    expect(res.status).toBe(504);
    expect(res.headers['access-control-allow-origin']).toBe(APP);
    expect(res.headers['access-control-allow-credentials']).toBe('true');
  });

  it('carries CORS headers on a 508 loop answer', async () => {
    const res = await request(gateway.url, '/open/x', { headers: { origin: 'https://anyone.test', 'cdn-loop': 'switchyard' } });
    expect(res.status).toBe(508);
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });
});

describe('routes with cors off', () => {
  it('pass upstream CORS headers through untouched and add no Vary', async () => {
    const res = await request(gateway.url, '/plain/x', { headers: { origin: APP } });
    expect(res.headers['access-control-allow-origin']).toBe('https://upstream-choice.test');
    expect(res.headers['access-control-allow-methods']).toBe('GET');
    expect(res.headers.vary).toBeUndefined();
  });
});
