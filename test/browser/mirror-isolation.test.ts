// Mirrored sites as a browser sees them under `wrangler dev`: a manual with absolute links
// outside its route's base path, a login through a mirror, and what one mirrored site cannot
// do to another on the gateway's one origin (cookies of the same name, service workers).
import { gzipSync } from 'node:zlib';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { readBody, startOrigin, type Origin } from '../support/origin.ts';
import { launchBrowser, recordNetwork, startWranglerDev, type BrowserHandle, type WranglerDev } from './support/index.ts';

// Page functions run in the browser; this project's types have no DOM.
declare const document: any;
declare const navigator: any;
declare function getComputedStyle(element: unknown): { backgroundImage: string; color: string };

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

let manual: Origin; // a manual whose links name its own origin, mounted with a base path
let siteA: Origin; // two mirrored applications, each with a login and a `session` cookie
let siteB: Origin;
let gateway: WranglerDev;
let browser: BrowserHandle;

function html(res: ServerResponse, body: string) {
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.end(`<!doctype html><html><head><meta charset="utf-8"></head><body>${body}</body></html>`);
}

const sessionOf = (req: IncomingMessage) => /(?:^|;\s*)session=([^;]*)/.exec(String(req.headers.cookie ?? ''))?.[1] ?? null;

// A service worker that answers navigations to probe.html itself: a page it controls says so.
const WORKER = `self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (event) => {
  if (event.request.mode === 'navigate' && event.request.url.endsWith('/probe.html')) {
    event.respondWith(new Response('<!doctype html><p id="owner">worker of site a</p>', { headers: { 'content-type': 'text/html' } }));
  }
});`;

/** An application at `base` on its origin: login form, login that redirects with a cookie, account page. */
function application(name: string, base: string, self: () => Origin) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url!, 'http://x').pathname;
    if (path === `${base}/login.html`) return html(res, `<form id="login" method="post" action="${base}/login"><input name="user" id="user"><button id="go">sign in</button></form>`);
    if (path === `${base}/login` && req.method === 'POST') {
      const user = new URLSearchParams((await readBody(req)).toString()).get('user') ?? '';
      res.writeHead(302, { location: `${self().url}${base}/account`, 'set-cookie': `session=${name}-${encodeURIComponent(user)}; Path=/; HttpOnly` });
      return res.end();
    }
    if (path === `${base}/account`) return html(res, `<p id="who">${sessionOf(req) ?? 'anonymous'}</p>`);
    if (path === `${base}/probe.html`) return html(res, `<p id="owner">page of site ${name}</p>`);
    if (path === `${base}/sw.html`) return html(res, '<p>registers a worker</p>');
    if (path.endsWith('/sw.js')) {
      // An origin that lets its worker claim the whole host, as many sites do.
      res.writeHead(200, { 'content-type': 'text/javascript', 'service-worker-allowed': '/' });
      return res.end(WORKER);
    }
    res.statusCode = 404;
    res.end('not found');
  };
}

beforeAll(async () => {
  manual = await startOrigin((req, res) => {
    const M = manual.url;
    const path = new URL(req.url!, 'http://x').pathname;
    if (path === '/en/index.html') {
      // Absolute links to the site's shared folders, outside /en, and gzipped, as nginx serves such a manual.
      const page = `<!doctype html><html><head><meta charset="utf-8"><title>manual</title>
<link rel="stylesheet" href="${M}/style/css/manual.css">
<script src="${M}/style/scripts/prettify.js"></script>
</head><body><h1>Manual</h1>
<img id="logo" src="${M}/images/logo.png" alt="">
<img id="hero" srcset="${M}/images/hero.png 1x, ${M}/images/hero.png 2x" alt="">
<img id="rel" src="/images/rel.png" alt="">
<a id="next" href="${M}/en/mod/core.html">core</a>
</body></html>`;
      if (!/gzip/.test(String(req.headers['accept-encoding'] ?? ''))) return html(res, page);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-encoding': 'gzip', vary: 'Accept-Encoding' });
      return res.end(gzipSync(page));
    }
    if (path === '/style/css/manual.css') {
      res.setHeader('content-type', 'text/css');
      return res.end(`h1 { color: rgb(1, 2, 3); }\nbody { background-image: url(${M}/images/bg.png); }\n`);
    }
    if (path === '/style/scripts/prettify.js') {
      res.setHeader('content-type', 'text/javascript');
      return res.end(`document.documentElement.dataset.script = 'ran';\n`);
    }
    if (path.startsWith('/images/')) {
      res.setHeader('content-type', 'image/png');
      return res.end(PNG);
    }
    res.statusCode = 404;
    res.end('not found');
  });
  siteA = await startOrigin(application('a', '/app', () => siteA));
  siteB = await startOrigin(application('b', '', () => siteB));
  gateway = await startWranglerDev({
    routes: {
      routes: [
        { path: '/manual', origin: `${manual.url}/en` },
        { path: '/a', origin: `${siteA.url}/app` },
        { path: '/b', origin: siteB.url },
      ],
    },
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await gateway?.stop();
  await Promise.all([manual?.close(), siteA?.close(), siteB?.close()]);
});

describe('a page whose absolute links lie outside its route\'s base path', () => {
  it('loads every stylesheet, script and image through the gateway, none from the origin\'s port', async () => {
    const page = await browser.newPage();
    const network = await recordNetwork(page);
    await page.goto(`${gateway.url}/manual/index.html`);
    await page.waitForFunction(() => [...document.images].every((image: { complete: boolean }) => image.complete));
    const state = await page.evaluate(() => ({
      logo: document.getElementById('logo').naturalWidth,
      hero: document.getElementById('hero').currentSrc,
      rel: document.getElementById('rel').naturalWidth,
      heading: getComputedStyle(document.querySelector('h1')).color,
      background: getComputedStyle(document.body).backgroundImage,
      script: document.documentElement.dataset.script,
    }));
    expect(state).toEqual({ logo: 1, hero: `${gateway.url}/images/hero.png`, rel: 1, heading: 'rgb(1, 2, 3)', background: `url("${gateway.url}/images/bg.png")`, script: 'ran' });
    expect((await network.answered(`${gateway.url}/style/css/manual.css`)).status).toBe(200);
    expect((await network.answered(`${gateway.url}/images/bg.png`)).status).toBe(200);
    expect(network.requests.filter((r) => /^https?:/.test(r.url) && !r.url.startsWith(`${gateway.url}/`)).map((r) => r.url)).toEqual([]);
    expect(network.to(manual.url)).toEqual([]);
    expect(manual.seen.map((seen) => seen.url)).toEqual(expect.arrayContaining(['/style/css/manual.css', '/style/scripts/prettify.js', '/images/logo.png', '/images/bg.png']));
    await Promise.all([page.waitForURL(`${gateway.url}/manual/mod/core.html`), page.click('#next')]);
    await page.close();
  });
});

describe('a login through a mirror', () => {
  async function signIn(page: Page, route: string, user: string): Promise<string> {
    await page.goto(`${gateway.url}${route}/login.html`);
    await page.fill('#user', user);
    await Promise.all([page.waitForURL(`${gateway.url}${route}/account`), page.click('#go')]);
    return page.textContent('#who') as Promise<string>;
  }

  it('posts the form, follows the 302 that sets the session cookie, and the next page reads it', async () => {
    const page = await browser.newPage();
    expect(await signIn(page, '/a', 'alice')).toBe('a-alice');
    await page.goto(`${gateway.url}/a/account`);
    expect(await page.textContent('#who')).toBe('a-alice');
    expect(siteA.seen.find((seen) => seen.method === 'POST')?.url).toBe('/app/login');
    await page.close();
  });

  it('keeps the sessions of two mirrored sites apart, though their cookies share a name', async () => {
    const page = await browser.newPage();
    expect(await signIn(page, '/b', 'bob')).toBe('b-bob');
    await page.goto(`${gateway.url}/a/account`);
    expect(await page.textContent('#who')).toBe('a-alice');
    await page.goto(`${gateway.url}/b/account`);
    expect(await page.textContent('#who')).toBe('b-bob');
    const sessions = (await browser.context.cookies()).filter((cookie) => cookie.name === 'session');
    expect(sessions.map(({ value, path }) => ({ value, path })).sort((x, y) => x.path.localeCompare(y.path))).toEqual([
      { value: 'a-alice', path: '/a' },
      { value: 'b-bob', path: '/b' },
    ]);
    await page.close();
  });
});

describe('a mirrored site\'s service worker', () => {
  let page: Page;
  const register = (script: string, scope?: string) =>
    page.evaluate(
      async ({ script, scope }) => {
        try {
          const registration = await navigator.serviceWorker.register(script, scope === undefined ? undefined : { scope });
          return `registered for ${registration.scope}`;
        } catch (error: any) {
          return error.name;
        }
      },
      { script, scope },
    );

  beforeAll(async () => {
    page = await browser.newPage();
    await page.goto(`${gateway.url}/a/sw.html`);
  });
  afterAll(() => page?.close());

  it('cannot claim the gateway\'s whole origin, though its origin allows it', async () => {
    expect(await register('sw.js', '/')).toBe('SecurityError');
    // Root-relative, the sticky site serves the script outside the route: still only the route.
    expect(await register('/sw.js')).toBe('SecurityError');
    expect(await register('/sw.js', '/a/')).toBe(`registered for ${gateway.url}/a/`);
  });

  it('controls its own route\'s pages and not another route\'s', async () => {
    expect(await register('sw.js', './')).toBe(`registered for ${gateway.url}/a/`);
    await page.evaluate(() => navigator.serviceWorker.ready);
    const own = await browser.newPage();
    await own.goto(`${gateway.url}/a/probe.html`);
    expect(await own.textContent('#owner')).toBe('worker of site a');
    const other = await browser.newPage();
    await other.goto(`${gateway.url}/b/probe.html`);
    expect(await other.textContent('#owner')).toBe('page of site b');
    expect(await other.evaluate(() => navigator.serviceWorker.controller)).toBeNull();
    await Promise.all([own.close(), other.close()]);
  });
});
