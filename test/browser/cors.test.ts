// The CORS gateway judged by a real browser: Debian Chromium, a page on one 127.0.0.1 port,
// an API without CORS headers on another, the gateway under `wrangler dev` on a third.
// Every check reads this run's random token from the API, so a gateway that answers
// without forwarding cannot pass.
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBody, startOrigin, type Origin } from '../support/origin.ts';
import { launchBrowser, pageFetch, recordNetwork, servePages, startWranglerDev, type BrowserHandle, type NetworkLog, type PageServer, type WranglerDev } from './support/index.ts';

const TOKEN = randomUUID();
const API_KEY = `sk-${randomUUID()}`;

let api: Origin;
let app: PageServer;
let stranger: PageServer;
let gateway: WranglerDev;
let browser: BrowserHandle;
let page: Page;
let network: NetworkLog;

/** An API that knows nothing of CORS. */
async function startApi(): Promise<Origin> {
  return startOrigin(async (req, res) => {
    const url = new URL(req.url!, 'http://api');
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    switch (url.pathname) {
      case '/data':
        return json(200, { token: TOKEN, method: req.method }, { 'x-upstream-token': TOKEN });
      case '/items': {
        const body = (await readBody(req)).toString('utf8');
        return json(200, { token: TOKEN, method: req.method, received: JSON.parse(body || 'null'), custom: req.headers['x-custom'] ?? null });
      }
      case '/login':
        return json(200, { token: TOKEN }, { 'set-cookie': `sid=${TOKEN}; Path=/; HttpOnly; SameSite=Lax` });
      case '/whoami':
        return json(200, { token: TOKEN, cookie: req.headers.cookie ?? null });
      case '/keyed':
        // Echoes what it got, as debug endpoints do: the gateway must not let the key through.
        if (req.headers['x-api-key'] !== API_KEY) return json(401, { error: 'bad key' });
        return json(200, { token: TOKEN, echo: req.headers['x-api-key'] }, { 'x-echo-key': API_KEY });
      case '/old-place':
        res.writeHead(302, { location: '/data?from=redirect' });
        return res.end();
      default:
        return json(404, { error: 'no such thing' });
    }
  });
}

beforeAll(async () => {
  api = await startApi();
  app = await servePages();
  stranger = await servePages();
  gateway = await startWranglerDev({
    routes: {
      routes: [
        { path: '/api', origin: api.url, cors: { origins: [app.url], credentials: true } },
        { path: '/hidden', origin: api.url, cors: { origins: [app.url] }, headers: { request: { set: { 'X-Api-Key': '${API_KEY}' } } } },
      ],
    },
    // .dev.vars: what `wrangler secret put API_KEY` gives the deployed Worker.
    secrets: { API_KEY },
  });
  browser = await launchBrowser();
  page = await browser.newPage();
  network = await recordNetwork(page);
  await page.goto(`${app.url}/`);
});

afterAll(async () => {
  await browser?.close();
  await gateway?.stop();
  await Promise.all([api?.close(), app?.close(), stranger?.close()]);
});

describe('a page calling an API without CORS headers', () => {
  it('is blocked by the browser when it calls the API directly', async () => {
    const res = await pageFetch(page, `${api.url}/data`);
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error).toContain('Failed to fetch');
    // The request did reach the API: the browser, not the network, kept the answer from the page.
    expect(api.seen.some((seen) => seen.url === '/data')).toBe(true);
    const blocked = await network.failure(`${api.url}/data`);
    expect(blocked.corsError).toBe('MissingAllowOriginHeader');
  });

  it('reads a GET through the gateway', async () => {
    const res = await pageFetch(page, `${gateway.url}/api/data`);
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ token: TOKEN, method: 'GET' });
  });

  it('sends a preflighted PUT with JSON and a custom header; the preflight never reaches the API', async () => {
    const before = api.seen.length;
    const res = await pageFetch(page, `${gateway.url}/api/items`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-custom': `custom-${TOKEN}` },
      body: JSON.stringify({ name: 'widget' }),
    });
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(JSON.parse(res.body)).toEqual({ token: TOKEN, method: 'PUT', received: { name: 'widget' }, custom: `custom-${TOKEN}` });
    // The browser did preflight, the gateway answered it, the API saw only the PUT.
    const preflight = await network.answered(`${gateway.url}/api/items`, { preflight: true });
    expect(preflight.method).toBe('OPTIONS');
    expect(preflight.status).toBe(204);
    const reached = api.seen.slice(before);
    expect(reached.map((seen) => seen.method)).toEqual(['PUT']);
  });

  it("keeps a cookie set by the API and sends it back with credentials: 'include'", async () => {
    const login = await pageFetch(page, `${gateway.url}/api/login`, { credentials: 'include' });
    expect(login.ok && JSON.parse(login.body).token).toBe(TOKEN);
    const me = await pageFetch(page, `${gateway.url}/api/whoami`, { credentials: 'include' });
    expect(me.ok).toBe(true);
    if (!me.ok) return;
    expect(JSON.parse(me.body)).toEqual({ token: TOKEN, cookie: `sid=${TOKEN}` });
  });

  it('reads a custom upstream response header', async () => {
    const res = await pageFetch(page, `${gateway.url}/api/data`, { credentials: 'include' });
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(res.headers['x-upstream-token']).toBe(TOKEN);
  });

  it('follows a redirect through the gateway', async () => {
    const res = await pageFetch(page, `${gateway.url}/api/old-place`);
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(res.redirected).toBe(true);
    expect(res.url).toBe(`${gateway.url}/api/data?from=redirect`);
    expect(JSON.parse(res.body)).toEqual({ token: TOKEN, method: 'GET' });
  });

  it('calls an API with a key the page never sees', async () => {
    const res = await pageFetch(page, `${gateway.url}/hidden/keyed`);
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body);
    expect(body.token).toBe(TOKEN);
    expect(res.body).not.toContain(API_KEY);
    expect(body.echo).toBe('*'.repeat(API_KEY.length));
    expect(JSON.stringify(res.headers)).not.toContain(API_KEY);
  });

  it('is blocked when the page origin is not allowed', async () => {
    const other = await browser.newPage();
    try {
      const otherNetwork = await recordNetwork(other);
      await other.goto(`${stranger.url}/`);
      const before = api.seen.length;
      const res = await pageFetch(other, `${gateway.url}/api/data`);
      expect(res.ok).toBe(false);
      const blocked = await otherNetwork.failure(`${gateway.url}/api/data`);
      expect(blocked.corsError).toBe('MissingAllowOriginHeader');
      // Simple GETs are sent (CORS guards reading, not sending); the token never reached the page.
      expect(api.seen.length).toBe(before + 1);
      // A preflighted call from it stops at the gateway.
      const put = await pageFetch(other, `${gateway.url}/api/items`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(put.ok).toBe(false);
      expect(api.seen.length).toBe(before + 1);
      expect((await otherNetwork.answered(`${gateway.url}/api/items`, { preflight: true })).status).toBe(403);
    } finally {
      await other.close();
    }
  });
});
