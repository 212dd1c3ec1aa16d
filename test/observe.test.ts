// Request ids, Server-Timing and the access log, through the real gateway in workerd to real
// origins on 127.0.0.1; log lines are read from workerd's stdout, as `npm run serve` prints them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from './support/gateway.ts';
import { request } from './support/http.ts';
import { closedPort, startOrigin, type Origin } from './support/origin.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const API_KEY = 'sk-live-7f3a9c1e5b2d4068';
const PAGE = 'http://page.test';

let api: Origin;
let gateway: Gateway;
let trusting: Gateway;
let broken: Gateway;

/** The id the origin received for the request it saw last. */
const idAtOrigin = (header = 'x-request-id') => api.seen.at(-1)!.headers[header];

beforeAll(async () => {
  api = await startOrigin();
  const down = `http://127.0.0.1:${await closedPort()}`;
  gateway = await startGateway(
    {
      routes: [
        { path: '/api', origin: api.url },
        { path: '/cors', origin: api.url, cors: { origins: [PAGE] } },
        { path: '/listed', origin: api.url, cors: { origins: [PAGE], exposeHeaders: ['X-Custom'] } },
        { path: '/down', origin: down },
        { path: '/locked', origin: api.url, access: { auth: { type: 'bearer', credential: '${TOKEN}' } } },
        { path: '/keyed', origin: api.url, headers: { request: { set: { 'X-Api-Key': '${API_KEY}' } } } },
      ],
    },
    { TOKEN: 'let-me-in-please', API_KEY },
  );
  trusting = await startGateway({
    requestId: { header: 'X-Trace-Id', trustIncoming: true },
    log: { requests: 'errors', query: true },
    serverTiming: false,
    routes: [{ path: '/api', origin: api.url }],
  });
  broken = await startGateway({ routes: [{ path: '/api' }] });
});
afterAll(async () => {
  await Promise.all([gateway?.stop(), trusting?.stop(), broken?.stop()]);
  await api?.close();
});

describe('request ids', () => {
  it('gives a proxied request a fresh id, sent upstream and returned, replacing the one the client sent', async () => {
    const res = await request(gateway.url, '/api/x', { headers: { 'x-request-id': 'chosen-by-client' } });
    const id = res.headers['x-request-id'] as string;
    expect(id).toMatch(UUID);
    expect(idAtOrigin()).toBe(id);
    const again = await request(gateway.url, '/api/x');
    expect(again.headers['x-request-id']).not.toBe(id);
  });

  it('is on every kind of answer, and in error bodies (JSON and HTML)', async () => {
    const answers = {
      404: await request(gateway.url, '/nowhere'),
      400: await request(gateway.url, '/api/%2e%2e/secret'),
      502: await request(gateway.url, '/down/x'),
      401: await request(gateway.url, '/locked/x'),
      preflight: await request(gateway.url, '/cors/x', { method: 'OPTIONS', headers: { origin: PAGE, 'access-control-request-method': 'PUT' } }),
      refusedPreflight: await request(gateway.url, '/cors/x', { method: 'OPTIONS', headers: { origin: 'http://stranger.test', 'access-control-request-method': 'PUT' } }),
    };
    expect(answers.preflight.status).toBe(204);
    expect(answers.refusedPreflight.status).toBe(403);
    for (const [kind, res] of Object.entries(answers)) {
      const id = res.headers['x-request-id'];
      expect(id, kind).toMatch(UUID);
      if (res.status >= 400) expect(res.json().error.requestId, kind).toBe(id);
    }
    const html = await request(gateway.url, '/down/x', { headers: { accept: 'text/html' } });
    expect(html.text).toContain(`<p>Request id: <code>${html.headers['x-request-id']}</code></p>`);
  });

  it('is on the 500 of an invalid config, which names it in the body', async () => {
    const res = await request(broken.url, '/api/x');
    expect(res.status).toBe(500);
    expect(res.headers['x-request-id']).toMatch(UUID);
    expect(res.json().error.requestId).toBe(res.headers['x-request-id']);
  });

  it('keeps a trusted client id that is short and printable, in the configured header', async () => {
    const res = await request(trusting.url, '/api/x', { headers: { 'x-trace-id': 'order-42:retry/1' } });
    expect(res.headers['x-trace-id']).toBe('order-42:retry/1');
    expect(idAtOrigin('x-trace-id')).toBe('order-42:retry/1');
    expect(res.headers['x-request-id']).toBeUndefined();
  });

  it.each([
    ['too long', 'a'.repeat(129)],
    ['holding a space', 'two words'],
    ['holding a byte outside ASCII', 'caf\xe9'],
    ['empty', ''],
  ])('replaces a trusted client id %s, never echoing it', async (_name, sent) => {
    const res = await request(trusting.url, '/nowhere', { headers: { 'x-trace-id': sent } });
    const id = res.headers['x-trace-id'] as string;
    expect(id).toMatch(UUID);
    if (sent) expect(res.text).not.toContain(sent);
    const line = await trusting.logFor((l) => l.id === id);
    expect(JSON.stringify(line)).not.toContain(sent || '""""');
  });

  it('takes the longest id it trusts, 128 characters', async () => {
    const longest = 'b'.repeat(128);
    const res = await request(trusting.url, '/api/x', { headers: { 'x-trace-id': longest } });
    expect(res.headers['x-trace-id']).toBe(longest);
  });
});

describe('Server-Timing', () => {
  it("names the gateway's wait and the origin's time to headers on a proxied answer", async () => {
    const res = await request(gateway.url, '/api/x');
    expect(res.headers['server-timing']).toMatch(/^gateway;dur=\d+, origin;dur=\d+$/);
  });

  it("has only the gateway's time where no origin was asked, and never names an origin", async () => {
    const missing = await request(gateway.url, '/nowhere');
    expect(missing.headers['server-timing']).toMatch(/^gateway;dur=\d+$/);
    const down = await request(gateway.url, '/down/x');
    expect(down.headers['server-timing']).toMatch(/^gateway;dur=\d+, origin;dur=\d+$/);
    expect(down.headers['server-timing']).not.toContain('127.0.0.1');
  });

  it('keeps the origin\'s own metrics beside the gateway\'s', async () => {
    const withOwn = await startOrigin((_req, res) => res.writeHead(200, { 'server-timing': 'db;dur=53' }).end('ok'));
    const own = await startGateway({ routes: [{ path: '/', origin: withOwn.url }] });
    try {
      const res = await request(own.url, '/');
      expect(res.headers['server-timing']).toMatch(/^db;dur=53, gateway;dur=\d+, origin;dur=\d+$/);
    } finally {
      await own.stop();
      await withOwn.close();
    }
  });

  it('is exposed to the page on a CORS route, with Timing-Allow-Origin, even when the route lists what it exposes', async () => {
    const res = await request(gateway.url, '/cors/x', { headers: { origin: PAGE } });
    expect(res.headers['timing-allow-origin']).toBe(PAGE);
    expect(res.headers['access-control-expose-headers']).toMatch(/\bserver-timing\b/);
    expect(res.headers['access-control-expose-headers']).toMatch(/\bx-request-id\b/);
    const listed = await request(gateway.url, '/listed/x', { headers: { origin: PAGE } });
    expect(listed.headers['access-control-expose-headers']).toBe('X-Custom, x-request-id, server-timing');
    const stranger = await request(gateway.url, '/cors/x', { headers: { origin: 'http://stranger.test' } });
    expect(stranger.headers['timing-allow-origin']).toBeUndefined();
  });

  it('is left out with "serverTiming": false', async () => {
    const res = await request(trusting.url, '/api/x');
    expect(res.headers['server-timing']).toBeUndefined();
  });
});

describe('the access log', () => {
  it('writes one JSON line for a proxied request with its route, origin, status and times', async () => {
    const res = await request(gateway.url, '/api/items?token=abc', { headers: { 'user-agent': 'test' } });
    const id = res.headers['x-request-id'];
    const line = await gateway.logFor((l) => l.id === id);
    expect(line).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      id,
      method: 'GET',
      host: `127.0.0.1:${gateway.port}`,
      path: '/api/items',
      route: '/api',
      origin: api.url,
      status: 200,
      originStatus: 200,
      ms: expect.any(Number),
      originMs: expect.any(Number),
      bytes: Number(res.headers['content-length']),
      ip: '127.0.0.1',
    });
    expect(line.ms).toBeGreaterThanOrEqual(line.originMs);
    expect(Math.abs(Date.parse(line.time) - Date.now())).toBeLessThan(60_000);
  });

  it('logs a 404 without a route or origin, with its reason', async () => {
    const res = await request(gateway.url, '/nowhere/"quoted"\\', { method: 'DELETE' });
    const line = await gateway.logFor((l) => l.id === res.headers['x-request-id']);
    expect(line).toMatchObject({ method: 'DELETE', path: '/nowhere/"quoted"\\', route: null, origin: null, status: 404, originStatus: null, originMs: null, reason: 'no route matches /nowhere/"quoted"\\' });
  });

  it('logs a 502 with the origin that could not be reached and why', async () => {
    const res = await request(gateway.url, '/down/x');
    const line = await gateway.logFor((l) => l.id === res.headers['x-request-id']);
    expect(line).toMatchObject({ route: '/down', status: 502, originStatus: null, reason: expect.stringMatching(/could not be reached/) });
    expect(line.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('logs a refused request with the refusal, and no origin', async () => {
    const res = await request(gateway.url, '/locked/x', { headers: { authorization: 'Bearer wrong' } });
    const line = await gateway.logFor((l) => l.id === res.headers['x-request-id']);
    expect(line).toMatchObject({ route: '/locked', status: 401, origin: null, reason: expect.stringMatching(/bearer token/) });
  });

  it('never writes the value of an injected secret, whatever the client sends', async () => {
    await request(gateway.url, `/keyed/${API_KEY}?k=${API_KEY}`);
    await request(gateway.url, `/nowhere/${API_KEY}`, { headers: { host: `${API_KEY}.test` } });
    const res = await request(gateway.url, `/keyed/x`);
    await gateway.logFor((l) => l.id === res.headers['x-request-id']);
    const masked = await gateway.logFor((l) => l.path === `/nowhere/${'*'.repeat(API_KEY.length)}`);
    expect(masked.host).toBe(`${'*'.repeat(API_KEY.length)}.test`);
    expect(gateway.stdout()).not.toContain(API_KEY);
  });

  it('logs errors only with "errors", and the query with "query": true', async () => {
    const ok = await request(trusting.url, '/api/x?q=1');
    const missing = await request(trusting.url, '/gone?q=2');
    const line = await trusting.logFor((l) => l.id === missing.headers['x-trace-id']);
    expect(line.path).toBe('/gone?q=2');
    expect(trusting.logs().some((l) => l.id === ok.headers['x-trace-id'])).toBe(false);
  });

  it('samples successful requests, always logs errors, and logs nothing with "none"', async () => {
    const sampled = await startGateway({ log: { sample: 0.5 }, routes: [{ path: '/api', origin: api.url }] });
    const none = await startGateway({ log: 'none', routes: [{ path: '/api', origin: api.url }] });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 200; i++) ids.push((await request(sampled.url, '/api/x')).headers['x-request-id'] as string);
      const missing = await request(sampled.url, '/nowhere');
      await sampled.logFor((l) => l.id === missing.headers['x-request-id']);
      const logged = sampled.logs().filter((l) => ids.includes(l.id)).length;
      // Binomial(200, 0.5): outside 60-140 with probability below 1e-8.
      expect(logged).toBeGreaterThan(60);
      expect(logged).toBeLessThan(140);

      await request(none.url, '/api/x');
      await request(none.url, '/nowhere');
      const control = await request(gateway.url, '/nowhere');
      await gateway.logFor((l) => l.id === control.headers['x-request-id']);
      expect(none.stdout()).toBe('');
    } finally {
      await Promise.all([sampled.stop(), none.stop()]);
    }
  });
});
