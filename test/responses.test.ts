// What comes back: redirects, cookies, header rules, compression, methods.
import { gzipSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from './support/gateway.ts';
import { request } from './support/http.ts';
import { closedPort, readBody, startOrigin, type Origin } from './support/origin.ts';

let api: Origin;
let login: Origin;
let gateway: Gateway;
const page = '<html><body>' + 'hello gzip '.repeat(500) + '</body></html>';

beforeAll(async () => {
  login = await startOrigin();
  api = await startOrigin(async (req, res) => {
    const body = await readBody(req);
    const url = new URL(req.url!, 'http://x');
    switch (url.pathname) {
      case '/v1/redirect':
        res.writeHead(302, { location: url.searchParams.get('to')!, 'content-location': `http://127.0.0.1:${api.port}/v1/here` });
        return res.end();
      case '/v1/refresh':
        res.writeHead(200, { refresh: `0; url=http://127.0.0.1:${login.port}/welcome` });
        return res.end('ok');
      case '/v1/cookies':
        res.setHeader('set-cookie', [
          `sid=abc; Domain=127.0.0.1; Path=/; HttpOnly`,
          'pref=dark; Expires=Wed, 21 Oct 2037 07:28:00 GMT; Path=/v1/settings',
          '__Host-csrf=x; Path=/; Secure',
        ]);
        return res.end('ok');
      case '/v1/hop':
        res.writeHead(200, { connection: 'x-upstream-hop', 'x-upstream-hop': '1', 'keep-alive': 'timeout=5', 'alt-svc': 'h3=":443"', server: 'origin/1.0', 'x-kept': 'yes' });
        return res.end('ok');
      case '/v1/named':
        // Nothing else here makes the response worth rewriting: only what Connection names.
        res.writeHead(200, { connection: 'keep-alive, x-upstream-hop', 'x-upstream-hop': '1', 'x-kept': 'yes' });
        return res.end('ok');
      case '/v1/keepalive':
        res.writeHead(200, { connection: 'keep-alive', 'keep-alive': 'timeout=5', 'x-kept': 'yes' });
        return res.end('ok');
      case '/v1/gzip': {
        if (!/gzip/.test(req.headers['accept-encoding'] ?? '')) return res.end(page);
        const gz = gzipSync(page);
        res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip', 'content-length': gz.length });
        return res.end(gz);
      }
      case '/v1/status999':
        // LinkedIn's answer to scrapers: outside what a Response can be constructed with.
        res.writeHead(999, { 'content-type': 'text/plain', ...(url.searchParams.has('moved') ? { location: '/v1/elsewhere' } : {}) });
        return res.end('request denied');
      case '/v1/nocontent':
        res.writeHead(204);
        return res.end();
      default:
        res.setHeader('content-type', 'application/json');
        res.setHeader('x-length', String(body.length));
        return res.end(JSON.stringify({ method: req.method, url: req.url, body: body.toString(), headers: req.headers }));
    }
  });
  const down = await closedPort();
  gateway = await startGateway(
    {
      routes: [
        {
          path: '/api',
          origin: `${api.url}/v1`,
          headers: {
            request: { set: { 'X-Api-Key': '${API_KEY}', 'X-Static': '${SHORT}' }, remove: ['Cookie'] },
            response: { set: { 'Cache-Control': 'no-store', 'X-Api-Version': '${API_VERSION}' }, remove: ['Server'] },
          },
        },
        { path: '/login', origin: login.url },
        { path: '/failover', origins: [`http://127.0.0.1:${down}`, `${api.url}/v1`] },
        { path: '/keephost', origin: `${api.url}/v1`, preserveHost: true },
        // No header rules: responses take the no-copy path whenever they can.
        { path: '/plain', origin: `${api.url}/v1` },
        { path: '/cors', origin: `${api.url}/v1`, cors: true },
      ],
    },
    // A short request-side value ("on") must not make the gateway drop ordinary headers holding it.
    { API_KEY: 'k-123-secret', API_VERSION: '2', SHORT: 'on' },
  );
});
afterAll(async () => {
  await gateway?.stop();
  await Promise.all([api?.close(), login?.close()]);
});

describe('redirects', () => {
  it('does not follow them, and maps Location to the route of the origin it names', async () => {
    const res = await request(gateway.url, `/api/redirect?to=${encodeURIComponent(`http://127.0.0.1:${login.port}/signin?next=1`)}`);
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/login/signin?next=1');
    expect(res.headers['content-location']).toBe('/api/here');
    expect(login.seen.length).toBe(0);
  });

  it('maps relative Location values against the upstream URL', async () => {
    const res = await request(gateway.url, '/api/redirect?to=/v1/users/2');
    expect(res.headers.location).toBe('/api/users/2');
  });

  it('leaves foreign Location values alone', async () => {
    const res = await request(gateway.url, `/api/redirect?to=${encodeURIComponent('https://elsewhere.example/x')}`);
    expect(res.headers.location).toBe('https://elsewhere.example/x');
  });

  it('rewrites Refresh', async () => {
    const res = await request(gateway.url, '/api/refresh');
    expect(res.headers.refresh).toBe('0; url=/login/welcome');
  });
});

describe('statuses outside 200-599', () => {
  it('pass through as sent where nothing needs changing', async () => {
    const res = await request(gateway.url, '/plain/status999');
    expect(res.status).toBe(999);
    expect(res.text).toBe('request denied');
  });

  it('become a 502 naming the status, with the CORS and header rules of the route, where they cannot be rebuilt', async () => {
    const cors = await request(gateway.url, '/cors/status999', { headers: { origin: 'http://app.test', accept: 'application/json' } });
    expect(cors.status).toBe(502);
    expect(cors.headers['access-control-allow-origin']).toBe('*');
    expect(cors.json().error.reason).toMatch(/status 999/);
    const moved = await request(gateway.url, '/plain/status999?moved');
    expect(moved.status).toBe(502);
    const ruled = await request(gateway.url, '/api/status999');
    expect(ruled.status).toBe(502);
    expect(ruled.headers['x-api-version']).toBe('2');
    expect(ruled.json().error).toMatchObject({ route: '/api', reason: expect.stringMatching(/status 999/) });
  });
});

describe('cookies', () => {
  it('keeps several Set-Cookie headers several, without Domain, under the route path', async () => {
    const res = await request(gateway.url, '/api/cookies');
    expect(res.headers['set-cookie']).toEqual([
      'sid=abc; Path=/api; HttpOnly',
      'pref=dark; Path=/api/settings; Expires=Wed, 21 Oct 2037 07:28:00 GMT',
      // Browsers refuse a __Host- cookie whose Path is not /.
      '__Host-csrf=x; Path=/; Secure',
    ]);
  });
});

describe('header rules', () => {
  it('sets and removes request headers, resolving ${NAME} from bindings', async () => {
    const res = await request(gateway.url, '/api/echo', { headers: { cookie: 'a=1' } });
    expect(res.status).toBe(200);
    const seen = api.seen.at(-1)!.headers;
    expect(seen['x-api-key']).toBe('k-123-secret');
    expect(seen['x-static']).toBe('on');
    expect(seen.cookie).toBeUndefined();
  });

  it('never lets the injected secret into a response, even from an echoing origin', async () => {
    const res = await request(gateway.url, '/api/echo');
    expect(JSON.stringify(res.headers)).not.toContain('k-123-secret');
    expect(res.text).not.toContain('k-123-secret');
    expect(res.json().headers['x-api-key']).toBe('*'.repeat('k-123-secret'.length));
  });

  it('sets and removes response headers and strips hop-by-hop and Alt-Svc', async () => {
    const res = await request(gateway.url, '/api/hop');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.server).toBeUndefined();
    expect(res.headers['x-upstream-hop']).toBeUndefined();
    expect(res.headers['alt-svc']).toBeUndefined();
    expect(res.headers['keep-alive']).not.toBe('timeout=5');
    expect(res.headers['x-kept']).toBe('yes');
  });

  it('strips hop-by-hop headers on routes without header rules too', async () => {
    const [hop, named, plain] = await Promise.all([
      request(gateway.url, '/plain/hop'),
      request(gateway.url, '/plain/named'),
      request(gateway.url, '/plain/keepalive'),
    ]);
    expect(hop.headers['x-upstream-hop']).toBeUndefined();
    expect(hop.headers['alt-svc']).toBeUndefined();
    expect(named.headers['x-upstream-hop']).toBeUndefined();
    expect(named.headers['x-kept']).toBe('yes');
    // Left to the runtime, which never forwards these.
    expect(plain.headers['keep-alive']).not.toBe('timeout=5');
    expect(plain.headers['x-kept']).toBe('yes');
    expect(plain.text).toBe('ok');
  });

  it('keeps response headers that merely contain a short injected value or a response-side one', async () => {
    const res = await request(gateway.url, '/api/hop');
    expect(res.headers['x-api-version']).toBe('2');
    expect(res.headers.date).toMatch(/\d{4}/);
    expect(res.headers['content-length'] ?? res.headers['transfer-encoding']).toBeDefined();
    const json = await request(gateway.url, '/api/echo');
    expect(json.headers['content-type']).toBe('application/json');
  });
});

describe('compression', () => {
  it('passes a gzip body through consistently for a client that accepts gzip', async () => {
    const res = await request(gateway.url, '/api/gzip', { headers: { 'accept-encoding': 'gzip' } });
    expect(api.seen.at(-1)!.headers['accept-encoding']).toBe('gzip');
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(res.body).toString()).toBe(page);
    // Framed by a length that matches the bytes sent, or chunked: never a stale length.
    if (res.headers['content-length']) expect(Number(res.headers['content-length'])).toBe(res.body.length);
    else expect(res.headers['transfer-encoding']).toBe('chunked');
  });

  it('does not add an encoding the client did not accept', async () => {
    const res = await request(gateway.url, '/api/gzip', { headers: { 'accept-encoding': 'identity' } });
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.text).toBe(page);
  });

  it('never asks the origin for encodings the runtime cannot decode', async () => {
    await request(gateway.url, '/api/echo', { headers: { 'accept-encoding': 'zstd, deflate, br' } });
    expect(api.seen.at(-1)!.headers['accept-encoding']).toBe('br');
  });
});

describe('methods', () => {
  it.each(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND'])('forwards %s with its body', async (method) => {
    const withBody = !['GET', 'OPTIONS'].includes(method);
    const res = await request(gateway.url, '/api/m?x=1', { method, body: withBody ? `payload-${method}` : undefined });
    expect(res.status).toBe(200);
    const echoed = res.json();
    expect(echoed.method).toBe(method);
    expect(echoed.url).toBe('/v1/m?x=1');
    expect(echoed.body).toBe(withBody ? `payload-${method}` : '');
  });

  it('answers HEAD without a body', async () => {
    const res = await request(gateway.url, '/api/m', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(0);
    expect(api.seen.at(-1)!.method).toBe('HEAD');
  });

  it('passes 204 through', async () => {
    expect((await request(gateway.url, '/api/nocontent')).status).toBe(204);
  });
});

describe('origins', () => {
  it('fails over to the next origin when one cannot be reached', async () => {
    const res = await request(gateway.url, '/failover/x');
    expect(res.status).toBe(200);
    expect(res.json().url).toBe('/v1/x');
  });

  it('does not replay a request body on another origin', async () => {
    const res = await request(gateway.url, '/failover/x', { method: 'POST', body: 'once' });
    expect(res.status).toBe(502);
  });
});

describe('preserveHost', () => {
  it('keeps the forwarded host and asks with the client host (test/preserve-host.test.ts has more)', async () => {
    const res = await request(gateway.url, '/keephost/x', { headers: { host: `127.0.0.1:${gateway.port}` } });
    expect(res.status).toBe(200);
    const seen = res.json().headers;
    expect(seen['x-forwarded-host']).toBe(`127.0.0.1:${gateway.port}`);
    expect(seen.host).toBe(`127.0.0.1:${gateway.port}`);
  });
});
