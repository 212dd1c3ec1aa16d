// Mirrored sites on real origins, through the gateway in workerd: absolute links outside a
// route's base path, and what one mirrored site may not do to the others on the gateway's origin.
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from './support/gateway.ts';
import { request, type RawResponse } from './support/http.ts';
import { startOrigin, type Origin } from './support/origin.ts';

let manual: Origin;
let gateway: Gateway;
let fixed: Gateway;

beforeAll(async () => {
  manual = await startOrigin((req, res) => {
    const M = manual.url;
    const url = new URL(req.url!, 'http://x');
    const path = url.pathname;
    if (path === '/en/index.html') {
      // An nginx-style manual: absolute links to the site's shared folders, gzipped.
      const page = `<!doctype html><html><head>
<link rel="stylesheet" href="${M}/style/css/manual.css">
<link rel="stylesheet" href="/style/css/manual.css">
<script src="${M}/style/scripts/prettify.js"></script>
<meta http-equiv="refresh" content="60; url=${M}/mod/">
<style>body { background: url(${M}/images/bg.png) }</style>
</head><body>
<img id="logo" src="${M}/images/logo.png" srcset="${M}/images/logo.png 1x, //127.0.0.1:${manual.port}/images/logo2.png 2x">
<a id="in" href="${M}/en/mod/core.html">core</a>
<a id="root" href="${M}/">root</a>
</body></html>`;
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-encoding': 'gzip',
        link: `<${M}/style/css/manual.css>; rel=preload; as=style`,
        'content-security-policy': `style-src ${M}; report-uri ${M}/csp`,
        'content-location': `${M}/index.html.en`,
      });
      return res.end(gzipSync(page));
    }
    if (path === '/en/old') {
      res.writeHead(302, { location: `${M}/login?back=1`, refresh: `0; url=${M}/login` });
      return res.end();
    }
    if (path === '/en/logout') {
      res.writeHead(200, { 'content-type': 'application/json', 'clear-site-data': '"cookies", "storage", "cache", "executionContexts"' });
      return res.end('{"ok":true}');
    }
    if (path.endsWith('sw.js')) {
      const headers: Record<string, string> = { 'content-type': 'text/javascript' };
      const allowed = url.searchParams.get('allowed');
      if (allowed !== null) headers['service-worker-allowed'] = allowed;
      res.writeHead(200, headers);
      return res.end('self.addEventListener("fetch", () => {});');
    }
    res.writeHead(200, { 'content-type': path.endsWith('.css') ? 'text/css' : 'text/plain' });
    res.end(`origin ${path}`);
  });
  [gateway, fixed] = await Promise.all([
    startGateway({ routes: [{ path: '/docs', origin: `${manual.url}/en` }] }),
    startGateway({ routes: [{ path: '/docs', origin: `${manual.url}/en`, sticky: false }] }),
  ]);
});
/** The body as text, decoded when the gateway sent it gzipped (as it does for a client that accepts it). */
const textOf = (res: RawResponse) => (res.headers['content-encoding'] === 'gzip' ? gunzipSync(res.body).toString('utf8') : res.text);

afterAll(async () => {
  await Promise.all([gateway?.stop(), fixed?.stop()]);
  await manual?.close();
});

describe('a URL on a sticky route\'s origin outside every base path', () => {
  it('keeps its path in the page (attributes, srcset, CSS, meta refresh) and in its headers', async () => {
    const res = await request(gateway.url, '/docs/index.html', { headers: { 'accept-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    const html = textOf(res);
    expect(html).toContain('<link rel="stylesheet" href="/style/css/manual.css">\n<link rel="stylesheet" href="/style/css/manual.css">');
    expect(html).toContain('<script src="/style/scripts/prettify.js">');
    expect(html).toContain('content="60; url=/mod/"');
    expect(html).toContain('background: url(/images/bg.png)');
    expect(html).toContain('src="/images/logo.png" srcset="/images/logo.png 1x, /images/logo2.png 2x"');
    expect(html).toContain('href="/docs/mod/core.html"');
    expect(html).toContain('<a id="root" href="/">');
    expect(html).not.toContain(`127.0.0.1:${manual.port}`);
    expect(res.headers.link).toBe('</style/css/manual.css>; rel=preload; as=style');
    expect(res.headers['content-security-policy']).toBe(`style-src ${manual.url} 'self'; report-uri /csp`);
    expect(res.headers['content-location']).toBe('/index.html.en');
  });

  it('keeps its path in Location and Refresh', async () => {
    const res = await request(gateway.url, '/docs/old');
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/login?back=1');
    expect(res.headers.refresh).toBe('0; url=/login');
  });

  it('is served from that path by the page\'s route, as its root-relative spelling is', async () => {
    const res = await request(gateway.url, '/style/css/manual.css', { headers: { referer: `${gateway.url}/docs/index.html` } });
    expect(res.status).toBe(200);
    expect(res.text).toBe('origin /style/css/manual.css');
    expect(manual.seen.at(-1)!.url).toBe('/style/css/manual.css');
  });

  it('stays as the origin wrote it when the route is not sticky', async () => {
    const html = textOf(await request(fixed.url, '/docs/index.html'));
    expect(html).toContain(`<link rel="stylesheet" href="${manual.url}/style/css/manual.css">`);
    expect(html).toContain('href="/docs/mod/core.html"');
    expect((await request(fixed.url, '/docs/old')).headers.location).toBe(`${manual.url}/login?back=1`);
  });
});

describe('isolation between the routes of one gateway origin', () => {
  it('drops Clear-Site-Data, which would clear every route\'s cookies, storage and cache', async () => {
    const res = await request(gateway.url, '/docs/logout');
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ ok: true });
    expect(manual.seen.at(-1)!.url).toBe('/en/logout');
    expect(res.headers['clear-site-data']).toBeUndefined();
  });

  it('drops a Service-Worker-Allowed wider than the route, and maps one within it', async () => {
    const wide = await request(gateway.url, '/docs/sw.js?allowed=/');
    expect(wide.status).toBe(200);
    expect(wide.headers['service-worker-allowed']).toBeUndefined();
    const sibling = await request(gateway.url, `/docs/sw.js?allowed=${encodeURIComponent('/fr/')}`);
    expect(sibling.headers['service-worker-allowed']).toBeUndefined();
    const inside = await request(gateway.url, `/docs/sw.js?allowed=${encodeURIComponent('/en/app/')}`);
    expect(inside.headers['service-worker-allowed']).toBe('/docs/app/');
  });

  it('confines a service worker script the sticky site serves outside the route to the route', async () => {
    const headers = { referer: `${gateway.url}/docs/index.html`, 'service-worker': 'script' };
    const res = await request(gateway.url, '/sw.js', { headers });
    expect(res.status).toBe(200);
    expect(manual.seen.at(-1)!.url).toBe('/sw.js');
    expect(res.headers['service-worker-allowed']).toBe('/docs/');
    const wide = await request(gateway.url, '/sw.js?allowed=/', { headers });
    expect(wide.headers['service-worker-allowed']).toBe('/docs/');
  });
});
