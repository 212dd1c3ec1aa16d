// Sticky sites: root-relative requests made at run time by a mirrored page, through the
// real gateway in workerd.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from './support/gateway.ts';
import { request } from './support/http.ts';
import { startOrigin, type Handler, type Origin } from './support/origin.ts';

const site =
  (name: string): Handler =>
  (req, res) => {
    if (req.url!.endsWith('.html')) {
      res.setHeader('content-type', 'text/html');
      return void res.end(`<h1>${name}</h1>`);
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ site: name, url: req.url, cookie: req.headers.cookie ?? null, prefix: req.headers['x-forwarded-prefix'] ?? null }));
  };

let a: Origin;
let b: Origin;
let home: Origin;
let gateway: Gateway;
let withCatchAll: Gateway;

beforeAll(async () => {
  [a, b, home] = await Promise.all([startOrigin(site('a')), startOrigin(site('b')), startOrigin(site('home'))]);
  [gateway, withCatchAll] = await Promise.all([
    startGateway({
      routes: [
        { path: '/site-a', origin: a.url },
        { path: '/site-b', origin: `${b.url}/base`, sticky: false },
      ],
    }),
    startGateway({
      routes: [
        { path: '/site-a', origin: `${a.url}/base` },
        { path: '/', origin: home.url },
      ],
    }),
  ]);
});
afterAll(async () => {
  await Promise.all([gateway?.stop(), withCatchAll?.stop()]);
  await Promise.all([a?.close(), b?.close(), home?.close()]);
});

const cookieOf = (setCookie: string[] | undefined) => setCookie?.find((c) => c.startsWith('switchyard-site='));

describe('site cookie', () => {
  it('is set when the gateway serves a sticky route’s page', async () => {
    const res = await request(gateway.url, '/site-a/page.html', { headers: { 'sec-fetch-dest': 'document' } });
    expect(cookieOf(res.headers['set-cookie'])).toBe('switchyard-site=%2Fsite-a; Path=/; SameSite=Lax; HttpOnly');
  });

  it('is not set again when it already names the route, nor for non-pages', async () => {
    const again = await request(gateway.url, '/site-a/page.html', { headers: { cookie: 'switchyard-site=%2Fsite-a' } });
    expect(cookieOf(again.headers['set-cookie'])).toBeUndefined();
    expect(cookieOf((await request(gateway.url, '/site-a/data')).headers['set-cookie'])).toBeUndefined();
    const fetched = await request(gateway.url, '/site-a/page.html', { headers: { 'sec-fetch-dest': 'empty' } });
    expect(cookieOf(fetched.headers['set-cookie'])).toBeUndefined();
    expect(cookieOf((await request(gateway.url, '/site-b/page.html')).headers['set-cookie'])).toBeUndefined();
  });

  it('is cleared by a page of a route that is not sticky', async () => {
    // Typed in the address bar: the catch-all's page, which ends the stickiness.
    const res = await request(withCatchAll.url, '/index.html', { headers: { cookie: 'switchyard-site=%2Fsite-a', 'sec-fetch-site': 'none' } });
    expect(res.text).toBe('<h1>home</h1>');
    expect(cookieOf(res.headers['set-cookie'])).toBe('switchyard-site=; Path=/; Max-Age=0; SameSite=Lax; HttpOnly');
  });

  it('is never forwarded upstream', async () => {
    const res = await request(gateway.url, '/site-a/data', { headers: { cookie: 'a=1; switchyard-site=%2Fsite-a; b=2' } });
    expect(res.json().cookie).toBe('a=1; b=2');
    const only = await request(gateway.url, '/site-a/data', { headers: { cookie: 'switchyard-site=%2Fsite-a' } });
    expect(only.json().cookie).toBe(null);
  });
});

describe('an escaped root-relative request', () => {
  it('goes to the route of the referring page, path unstripped', async () => {
    const res = await request(gateway.url, '/img/x.png?v=2', { headers: { referer: `${gateway.url}/site-a/docs/page.html` } });
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ site: 'a', url: '/img/x.png?v=2' });
  });

  it('goes to the route named by the site cookie without a Referer', async () => {
    const res = await request(gateway.url, '/api/items', { headers: { cookie: 'x=1; switchyard-site=%2Fsite-a' } });
    expect(res.json()).toMatchObject({ site: 'a', url: '/api/items', cookie: 'x=1' });
  });

  it('is not sticky when the referring page’s route opted out', async () => {
    const res = await request(gateway.url, '/img/x.png', {
      headers: { referer: `${gateway.url}/site-b/page.html`, cookie: 'switchyard-site=%2Fsite-a', accept: 'application/json' },
    });
    expect(res.status).toBe(404);
    expect(res.json().error.reason).toContain('/img/x.png');
  });

  it('ignores a Referer from another host and a cookie on a typed URL', async () => {
    expect((await request(gateway.url, '/img/x.png', { headers: { referer: 'http://other.example/site-a/page.html' } })).status).toBe(404);
    const typed = await request(gateway.url, '/img/x.png', { headers: { cookie: 'switchyard-site=%2Fsite-a', 'sec-fetch-site': 'none' } });
    expect(typed.status).toBe(404);
    expect((await request(gateway.url, '/img/x.png', { headers: { cookie: 'switchyard-site=%2Fnope' } })).status).toBe(404);
  });

  it('wins over the catch-all only when its page was a sticky route’s', async () => {
    const sticky = await request(withCatchAll.url, '/img/x.png', { headers: { referer: `${withCatchAll.url}/site-a/page.html` } });
    // Root-relative means the origin's root: its base path is not prepended, nothing was stripped.
    expect(sticky.json()).toMatchObject({ site: 'a', url: '/img/x.png', prefix: null });
    const plain = await request(withCatchAll.url, '/img/x.png');
    expect(plain.json()).toMatchObject({ site: 'home', url: '/img/x.png' });
    const fromHome = await request(withCatchAll.url, '/img/x.png', { headers: { referer: `${withCatchAll.url}/index.html`, cookie: 'switchyard-site=%2Fsite-a' } });
    expect(fromHome.json()).toMatchObject({ site: 'a' });
  });
});
