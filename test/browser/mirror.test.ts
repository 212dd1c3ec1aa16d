// A two-origin, multi-page site mirrored through the gateway under `wrangler dev`, driven
// by Debian Chromium. Every request the browser makes is recorded over CDP: none may reach
// an origin's port directly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startOrigin, readBody, type Origin } from '../support/origin.ts';
import { launchBrowser, recordNetwork, startWranglerDev, type BrowserHandle, type NetworkLog, type WranglerDev } from './support/index.ts';

// Page functions run in the browser; this project's types have no DOM.
declare const document: any;
declare function getComputedStyle(element: unknown): { backgroundImage: string; color: string };

// 1×1 PNG: images must really decode to count as loaded.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

let site: Origin; // the mirrored site ("intranet")
let cdn: Origin; // the second origin its pages load from
let gateway: WranglerDev;
let browser: BrowserHandle;

function html(res: import('node:http').ServerResponse, body: string) {
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.end(`<!doctype html><html><head><meta charset="utf-8">${body}`);
}

beforeAll(async () => {
  site = await startOrigin(async (req, res) => {
    const S = site.url;
    const C = cdn.url;
    const path = new URL(req.url!, 'http://x').pathname;
    if (path === '/index.html') {
      return html(
        res,
        `<title>home</title>
<link rel="stylesheet" href="${C}/style.css">
<script src="//127.0.0.1:${cdn.port}/app.js"></script>
</head><body>
<h1>Home</h1>
<img id="logo" src="/logo.png" alt="logo">
<img id="hero" srcset="${C}/img/hero.png 1x, ${C}/img/hero.png 2x" alt="hero">
<a id="next" href="${S}/docs/page2.html">page 2</a>
<form id="form" action="${S}/submit" method="post"><input name="q" value="hello"><button id="send">send</button></form>
<script>
  // Built at run time: no rewriting can see it; the sticky site routes it.
  const path = ['', 'api', 'data.json'].join('/');
  fetch(path).then((r) => r.json()).then((data) => { document.body.dataset.api = data.message; });
</script>
</body></html>`,
      );
    }
    if (path === '/strict.html') {
      // A strict policy naming the origins by host, as an intranet page may have.
      res.setHeader('content-security-policy', `default-src 'none'; img-src ${C}; style-src ${C}; script-src ${C}; report-uri ${S}/csp-report`);
      res.setHeader('link', `<${C}/img/preload.png>; rel=preload; as=image`);
      const head = `<title>strict</title><link rel="stylesheet" href="${C}/style.css"><script src="${C}/app.js"></script>`;
      // The inline script is what the policy must still block.
      const body = `<img id="strict" src="${C}/img/strict.png" alt=""><script>document.body.dataset.inline = 'ran';</script>`;
      return html(res, `${head}</head><body>${body}</body></html>`);
    }
    if (path === '/csp-report' && req.method === 'POST') {
      await readBody(req);
      res.statusCode = 204;
      return res.end();
    }
    if (path === '/docs/page2.html') {
      return html(res, `<title>page 2</title></head><body><h1 id="title">Page 2</h1><a href="/index.html">home</a><img id="logo2" src="../logo.png"></body></html>`);
    }
    if (path === '/submit' && req.method === 'POST') {
      const body = (await readBody(req)).toString();
      return html(res, `<title>sent</title></head><body><p id="echo">${body}</p><a href="${S}/index.html">home</a></body></html>`);
    }
    if (path === '/logo.png') {
      res.setHeader('content-type', 'image/png');
      return res.end(PNG);
    }
    if (path === '/api/data.json') {
      res.setHeader('content-type', 'application/json');
      return res.end(JSON.stringify({ message: 'from the intranet api' }));
    }
    res.statusCode = 404;
    res.end('not found');
  });
  cdn = await startOrigin((req, res) => {
    const C = cdn.url;
    const path = new URL(req.url!, 'http://x').pathname;
    if (path === '/style.css') {
      res.setHeader('content-type', 'text/css');
      return res.end(`@import url("/theme.css");\nbody { background-image: url(${C}/img/bg.png); }\n`);
    }
    if (path === '/theme.css') {
      res.setHeader('content-type', 'text/css');
      return res.end('h1 { color: rgb(1, 2, 3); }\n');
    }
    if (path === '/app.js') {
      res.setHeader('content-type', 'text/javascript');
      return res.end(`document.documentElement.dataset.script = 'ran';\n`);
    }
    if (path.startsWith('/img/')) {
      res.setHeader('content-type', 'image/png');
      return res.end(PNG);
    }
    res.statusCode = 404;
    res.end('not found');
  });
  gateway = await startWranglerDev({
    routes: {
      routes: [
        { path: '/intranet', origin: site.url },
        { path: '/cdn', origin: cdn.url },
      ],
    },
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await gateway?.stop();
  await Promise.all([site?.close(), cdn?.close()]);
});

/** Nothing the browser sent went anywhere but the gateway. */
function expectOnlyGateway(network: NetworkLog) {
  const escaped = network.requests.filter((r) => /^https?:/.test(r.url) && !r.url.startsWith(`${gateway.url}/`));
  expect(escaped.map((r) => r.url)).toEqual([]);
  expect(network.to(site.url)).toEqual([]);
  expect(network.to(cdn.url)).toEqual([]);
}

/** A new tab, recording its requests, at `path` on the gateway. */
async function openOnGateway(path: string): Promise<{ page: Page; network: NetworkLog }> {
  const page = await browser.newPage();
  const network = await recordNetwork(page);
  await page.goto(`${gateway.url}${path}`);
  return { page, network };
}

describe('a mirrored site in a browser', () => {
  let page: Page;
  let network: NetworkLog;

  beforeAll(async () => {
    ({ page, network } = await openOnGateway('/intranet/index.html'));
    await page.waitForFunction(() => document.body.dataset.api !== undefined, undefined, { timeout: 15_000 });
  });

  it('loads images, stylesheets (and their imports) and scripts through the gateway', async () => {
    await page.waitForFunction(() => [...document.images].every((image: { complete: boolean }) => image.complete));
    const state = await page.evaluate(() => ({
      logo: (document.getElementById('logo')).naturalWidth,
      hero: (document.getElementById('hero')).currentSrc,
      background: getComputedStyle(document.body).backgroundImage,
      heading: getComputedStyle(document.querySelector('h1')!).color,
      script: document.documentElement.dataset.script,
    }));
    expect(state).toEqual({
      logo: 1,
      hero: `${gateway.url}/cdn/img/hero.png`,
      background: `url("${gateway.url}/cdn/img/bg.png")`,
      heading: 'rgb(1, 2, 3)',
      script: 'ran',
    });
    expect(network.to(`${gateway.url}/cdn/theme.css`)).toHaveLength(1);
    expect((await network.answered(`${gateway.url}/cdn/img/hero.png`)).status).toBe(200);
    expectOnlyGateway(network);
  });

  it('serves a root-relative URL built at run time via the sticky site', async () => {
    expect(await page.evaluate(() => document.body.dataset.api)).toBe('from the intranet api');
    expect((await network.answered(`${gateway.url}/api/data.json`)).status).toBe(200);
    expect(network.to(`${gateway.url}/api/data.json`)).toHaveLength(1);
    expect(site.seen.some((seen) => seen.url === '/api/data.json')).toBe(true);
    // The browser holds the site cookie; the origins never see it.
    expect((await browser.context.cookies(gateway.url)).map((cookie) => cookie.name)).toContain('switchyard-site');
    expect([...site.seen, ...cdn.seen].filter((seen) => String(seen.headers.cookie ?? '').includes('switchyard-site'))).toEqual([]);
  });

  it('stays on the gateway when a link is clicked', async () => {
    await Promise.all([page.waitForURL(`${gateway.url}/intranet/docs/page2.html`), page.click('#next')]);
    expect(await page.textContent('#title')).toBe('Page 2');
    await page.waitForFunction(() => (document.getElementById('logo2')).complete);
    expect(await page.evaluate(() => (document.getElementById('logo2')).naturalWidth)).toBe(1);
    expectOnlyGateway(network);
  });

  it('posts a form through the gateway', async () => {
    await page.goto(`${gateway.url}/intranet/index.html`);
    await Promise.all([page.waitForURL(`${gateway.url}/intranet/submit`), page.click('#send')]);
    expect(await page.textContent('#echo')).toBe('q=hello');
    const post = network.requests.find((r) => r.method === 'POST');
    expect(post?.url).toBe(`${gateway.url}/intranet/submit`);
    expect(site.seen.find((seen) => seen.method === 'POST')?.url).toBe('/submit');
    expectOnlyGateway(network);
  });
});

describe('a mirrored page with a Content-Security-Policy naming its origins, and a Link preload', () => {
  let page: Page;
  let network: NetworkLog;

  beforeAll(async () => {
    ({ page, network } = await openOnGateway('/intranet/strict.html'));
    await page.waitForFunction(() => [...document.images].every((image: { complete: boolean }) => image.complete));
  });

  it('loads what the policy allowed from the origins, now from the gateway', async () => {
    const state = await page.evaluate(() => ({
      image: (document.getElementById('strict')).naturalWidth,
      background: getComputedStyle(document.body).backgroundImage,
      script: document.documentElement.dataset.script,
    }));
    expect(state).toEqual({ image: 1, background: `url("${gateway.url}/cdn/img/bg.png")`, script: 'ran' });
    expect(network.to(`${gateway.url}/cdn/img/preload.png`).length).toBeGreaterThan(0);
    expectOnlyGateway(network);
  });

  it('still enforces the policy, and sends its violation reports through the gateway', async () => {
    expect(await page.evaluate(() => document.body.dataset.inline)).toBeUndefined();
    await expect.poll(() => site.seen.filter((seen) => seen.method === 'POST' && seen.url === '/csp-report').length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(network.to(`${gateway.url}/intranet/csp-report`).length).toBeGreaterThan(0);
    expectOnlyGateway(network);
  });
});
