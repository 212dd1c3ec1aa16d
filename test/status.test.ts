// The status page (`admin`) in workerd: credentials first, never proxied or counted, every
// route with a live probe of its origins (one up, one refusing, one hanging past the 3 s
// probe timeout), and this process's counters.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATUS_PAGE_CSP } from '../src/observe/status-page.ts';
import { startGateway, type Gateway } from './support/gateway.ts';
import { request, type RawResponse } from './support/http.ts';
import { rawRequest } from './support/raw.ts';
import { closedPort, startOrigin, type Origin } from './support/origin.ts';

const ADMIN_TOKEN = 'admin-9c41e07d2b5f';
const UPSTREAM_KEY = 'upstream-key-5d18a3f0c2e7';
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

let up: Origin;
let hanging: Origin;
const held: http.ServerResponse[] = [];
let down: string;
let gateway: Gateway;
let fenced: Gateway;

interface Page {
  res: RawResponse;
  ms: number;
}
let json: Page;
let html: Page;
let head: Page;
/** the answers counted before the pages were asked for */
const before: Record<string, RawResponse> = {};

async function timed(path: string, options: Parameters<typeof request>[2] = {}): Promise<Page> {
  const started = Date.now();
  const res = await request(gateway.url, path, options);
  return { res, ms: Date.now() - started };
}

beforeAll(async () => {
  up = await startOrigin();
  // Takes the request and never answers.
  hanging = await startOrigin((_req, res) => void held.push(res));
  down = `http://127.0.0.1:${await closedPort()}`;
  const routes = [
    { path: '/up', origin: `${up.url}/base`, headers: { request: { set: { Authorization: 'Bearer ${UPSTREAM_KEY}' } } }, cors: true },
    { path: '/down', origin: down },
    { path: '/hang', origin: hanging.url, rewriteLinks: false },
    // A catch-all for one host: were the status page routed, this route would take it.
    { path: '/', host: 'catch.test', origin: up.url },
    // One failure ejects the refusing member for a minute; the request goes on to the other.
    { path: '/pool', origins: [down, { url: up.url, weight: 2, backup: true }], retry: {}, health: { failures: 1, cooldown: 60 } },
  ];
  gateway = await startGateway(
    { admin: { auth: { type: 'bearer', credential: '${ADMIN_TOKEN}' }, allowIps: ['127.0.0.0/8', '::1'] }, routes },
    { ADMIN_TOKEN, UPSTREAM_KEY },
  );
  fenced = await startGateway({ admin: { path: '/ops/status', auth: { type: 'basic', credential: '${ADMIN}' }, allowIps: ['10.0.0.0/8'] }, routes }, { ADMIN: 'ops:pw', UPSTREAM_KEY });

  for (let i = 0; i < 3; i++) before[`up${i}`] = await request(gateway.url, '/up/x');
  before.missing = await request(gateway.url, '/nowhere');
  before.down = await request(gateway.url, '/down/x');
  before.pool = await request(gateway.url, '/pool/x');
  // Refused, and not counted: the page's own requests never are.
  before.refused = await request(gateway.url, '/_switchyard');
  [json, html, head] = await Promise.all([
    timed('/_switchyard', { headers: { ...auth, accept: 'application/json' } }),
    timed('/_switchyard', { headers: { ...auth, accept: 'text/html' } }),
    timed('/_switchyard', { method: 'HEAD', headers: auth }),
  ]);
}, 30_000);

afterAll(async () => {
  for (const res of held) res.destroy();
  await Promise.all([gateway?.stop(), fenced?.stop()]);
  await Promise.all([up?.close(), hanging?.close()]);
});

describe('the status page', () => {
  it('answers a missing or wrong credential with a bare 401', async () => {
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong' }, { authorization: `Basic ${btoa(`x:${ADMIN_TOKEN}`)}` }, { authorization: ADMIN_TOKEN }]) {
      const res = await request(gateway.url, '/_switchyard', { headers: { ...headers, accept: 'application/json' } });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="switchyard /_switchyard"');
      expect(res.body.length).toBe(0);
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers['content-type']).toBeUndefined();
    }
  });

  it('is never proxied, in any spelling the router would take for its path', async () => {
    const seen = up.seen.length;
    for (const path of ['/_switchyard', '/_switchyard/', '/%5Fswitchyard', '/_switchyard?x=1']) {
      const res = await request(gateway.url, path, { headers: { host: 'catch.test' } });
      expect(res.status, path).toBe(401);
    }
    expect(up.seen.length).toBe(seen);
    // A longer path is not the status page: the catch-all takes it.
    expect((await request(gateway.url, '/_switchyardx', { headers: { host: 'catch.test' } })).status).toBe(200);
    expect(up.seen.length).toBe(seen + 1);
  });

  it('is never chosen by the Host: a Host that moves the path is refused before the page is looked for', async () => {
    for (const credentials of ['', `\r\nAuthorization: Bearer ${ADMIN_TOKEN}`]) {
      const answer = await rawRequest(gateway.port, `GET / HTTP/1.1\r\nHost: x/_switchyard\r\nAccept: application/json${credentials}`);
      expect(answer.status).toBe(400);
      expect(answer.json().error.reason).toMatch(/^invalid Host header/);
    }
  });

  it('refuses addresses outside allowIps with 403, even with the credential', async () => {
    const res = await request(fenced.url, '/ops/status', { headers: { authorization: `Basic ${btoa('ops:pw')}` } });
    expect(res.status).toBe(403);
    expect(res.json().error.reason).toBe('client address 127.0.0.1 is not in admin.allowIps');
  });

  it('lists every route with its origins and features, as JSON for Accept: application/json', () => {
    expect(json.res.status).toBe(200);
    expect(json.res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(json.res.headers['cache-control']).toBe('no-store');
    const report = json.res.json();
    expect(report.requestId).toBe(json.res.headers['x-request-id']);
    expect(report.gateway).toMatchObject({ id: 'switchyard', version: expect.stringMatching(/^\d+\.\d+\.\d+/), builtAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(report.config.from).toMatch(/ROUTES binding/);
    expect(report.routes.map((r: { path: string }) => r.path)).toEqual(['/up', '/down', '/hang', '/', '/pool']);
    const [upRoute, downRoute, hangRoute, catchAll] = report.routes;
    expect(upRoute.origins.map((o: { url: string }) => o.url)).toEqual([`${up.url}/base`]);
    expect(upRoute.features).toMatchObject({ cors: 'any origin', rewriteLinks: true, requestHeaders: 'Authorization, -range, -if-range' });
    expect(hangRoute.features.rewriteLinks).toBe(false);
    expect(catchAll.host).toBe('catch.test');
    expect(upRoute.origins[0].health).toEqual({ state: 'up', weight: 1, backup: false, inFlight: 0 });
    expect(downRoute.origins[0].url).toBe(down);
  });

  it('shows each pool member\'s passive health: the refusing one ejected until when', () => {
    expect(before.pool!.status).toBe(200);
    const pool = json.res.json().routes[4];
    expect(pool.features.balance).toBe('first');
    const [refusing, backup] = pool.origins;
    expect(refusing.health).toMatchObject({ state: 'ejected', until: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(Date.parse(refusing.health.until) - Date.now()).toBeGreaterThan(50_000);
    expect(backup.health).toEqual({ state: 'up', weight: 2, backup: true, inFlight: 0 });
    expect(html.res.text).toMatch(/ejected until \d{4}-/);
    expect(html.res.text).toContain('up (backup, weight 2)');
  });

  it('probes every origin: one up, one refusing, one hanging, and answers within the probe timeout', () => {
    const [upRoute, downRoute, hangRoute] = json.res.json().routes;
    expect(upRoute.origins[0].probe).toEqual({ reachable: true, status: 200, ms: expect.any(Number) });
    expect(downRoute.origins[0].probe).toMatchObject({ reachable: false, status: null, error: 'could not be reached or sent no valid HTTP response' });
    expect(hangRoute.origins[0].probe).toMatchObject({ reachable: false, status: null, error: 'no response headers within 3000 ms' });
    expect(hangRoute.origins[0].probe.ms).toBeGreaterThanOrEqual(2900);
    // The hanging origin never answers: only the probe's own timeout ends the wait.
    expect(json.ms).toBeGreaterThanOrEqual(2900);
    expect(json.ms).toBeLessThan(8000);
    // The probe went to the origin's base URL, with the page's request id.
    const probe = up.seen.find((seen) => seen.headers['user-agent']?.startsWith('switchyard-status-probe'));
    expect(probe).toMatchObject({ method: 'GET', url: '/base' });
    expect(probe!.headers['x-request-id']).toBeDefined();
  });

  it("counts this process's answers by route and status class, its own requests left out", () => {
    const { counters, routes } = json.res.json();
    expect(counters.scope).toMatch(/npm run serve one workerd process/);
    expect(counters.all).toMatchObject({ requests: 6, statuses: { '2xx': 4, '4xx': 1, '5xx': 1 } });
    expect(counters.all.bytes).toBeGreaterThan(0);
    expect(counters.unrouted).toMatchObject({ requests: 1, statuses: { '4xx': 1 } });
    expect(routes[0].counters).toMatchObject({ requests: 3, statuses: { '2xx': 3 }, latencyMs: { p50: expect.any(Number), p95: expect.any(Number), p99: expect.any(Number) } });
    expect(routes[1].counters).toMatchObject({ requests: 1, statuses: { '5xx': 1 } });
    expect(counters.recentErrors).toEqual([
      { time: expect.any(String), id: before.down!.headers['x-request-id'], status: 502, method: 'GET', path: '/down/x', route: '/down', reason: expect.stringMatching(/could not be reached/) },
      { time: expect.any(String), id: before.missing!.headers['x-request-id'], status: 404, method: 'GET', path: '/nowhere', route: null, reason: 'no route matches /nowhere' },
    ]);
  });

  it('shows no secret and no credential', () => {
    for (const page of [json, html]) {
      expect(page.res.text).not.toContain(ADMIN_TOKEN);
      expect(page.res.text).not.toContain(UPSTREAM_KEY);
    }
  });

  it('is an HTML page under its own strict CSP for browsers', () => {
    expect(html.res.status).toBe(200);
    expect(html.res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(html.res.headers['content-security-policy']).toBe(STATUS_PAGE_CSP);
    expect(html.res.headers['x-content-type-options']).toBe('nosniff');
    expect(html.res.text).not.toMatch(/<script|<link|src=/i);
    for (const text of ['/up', '/down', '/hang', `${up.url}/base`, down, 'no response headers within 3000 ms', 'Recent errors']) expect(html.res.text).toContain(text);
    expect(head.res.status).toBe(200);
    expect(head.res.body.length).toBe(0);
  });

  it('logs its requests, marked, and answers other methods with 405', async () => {
    const line = await gateway.logFor((l) => l.id === json.res.headers['x-request-id']);
    expect(line).toMatchObject({ admin: true, status: 200, route: null, path: '/_switchyard' });
    const post = await request(gateway.url, '/_switchyard', { method: 'POST', headers: auth });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });
});
