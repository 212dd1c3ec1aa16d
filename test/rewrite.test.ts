// Link rewriting in HTML and CSS bodies, through the real gateway in workerd.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { gzipSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from './support/gateway.ts';
import { request, type RawResponse } from './support/http.ts';
import { startOrigin, type Origin } from './support/origin.ts';

let a: Origin;
/** Resolved by the streaming test once the client has the first bytes of the page. */
let clientHasStart: () => void = () => {};
let b: Origin;
let gateway: Gateway;
const image = randomBytes(50_000);
/** ~8 MiB of CSS: more than the tokenizer keeps memory for between responses. */
const BIG_STYLESHEET_RULES = 160 * 1024;
const BIG_STYLESHEET_RULE = (origin: string) => `.r{background:url(${origin}/img.png)}\n`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes the parts one by one with a pause between, so they reach the gateway as separate chunks. */
async function writeInParts(res: http.ServerResponse, parts: (string | Buffer)[]) {
  for (const part of parts) {
    res.write(part);
    await sleep(30);
  }
  res.end();
}

function pageOfA(): string {
  const A = a.url;
  const B = b.url;
  return `<!doctype html><html><head>
<meta http-equiv="Refresh" content="30; url=${A}/next">
<link rel="stylesheet" href="/style.css" integrity="sha384-abc">
<link rel="preload" as="image" imagesrcset="/hero.png 1x, ${A}/hero2.png 2x">
<script src="${B}/base/lib.js" integrity="sha384-def"></script>
<style>body { background: url("/bg.png") } @import '/print.css';</style>
</head><body>
<a id="abs" href="${A}/docs/x.html?q=1#top">abs</a>
<a id="root" href="/docs/y.html">root</a>
<a id="proto" href="//127.0.0.1:${a.port}/z">proto</a>
<a id="rel" href="sibling.html">rel</a>
<a id="other" href="${B}/base/page.html">to b</a>
<a id="outside" href="${B}/elsewhere">outside b's base</a>
<a id="foreign" href="https://example.org/x">foreign</a>
<a id="entity" href="/q?x=1&amp;y=2">entity</a>
<area id="area" href="/area">
<img id="img" src="/img.png" srcset="/img-1x.png 1x, ${B}/base/img-2x.png 2x, https://cdn.example.org/i.png 3x">
<picture><source id="source" srcset="/s.webp" type="image/webp"></picture>
<video id="video" src="/v.mp4" poster="/poster.jpg"><track id="track" src="/t.vtt"></video>
<audio id="audio" src="/a.mp3"></audio>
<iframe id="iframe" src="/frame.html"></iframe>
<embed id="embed" src="/e.swf"><object id="object" data="/o.svg"></object>
<form id="form" action="/submit" method="post"><input id="input" type="image" src="/btn.png"><button id="button" formaction="${A}/alt">go</button></form>
<blockquote id="quote" cite="/source"></blockquote>
<table id="table" background="/tile.gif"><tr><td>x</td></tr></table>
<div id="styled" style="background-image: url(/div.png); color: red"></div>
<div id="imageset" style="background-image: image-set('${A}/set.avif' type('image/avif'), '/set.png' 1x)"></div>
<svg><image id="svgimage" href="/svg.png"></image><use id="use" xlink:href="${A}/sprite.svg#icon"></use></svg>
<script>fetch("/api/data"); const u = "${A}/inline";</script>
<p>Text mentioning ${A}/text is not a link.</p>
</body></html>`;
}

beforeAll(async () => {
  a = await startOrigin(async (req, res) => {
    const path = req.url!;
    if (path === '/page.html') {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.setHeader('etag', '"v1"');
      res.setHeader('last-modified', 'Wed, 21 Oct 2015 07:28:00 GMT');
      const html = pageOfA();
      res.setHeader('content-length', Buffer.byteLength(html));
      // Split inside a tag and inside an attribute value.
      const cut1 = html.indexOf('docs/x.html') + 3;
      const cut2 = html.indexOf('srcset="/img-1x') + 12;
      return writeInParts(res, [html.slice(0, cut1), html.slice(cut1, cut2), html.slice(cut2)]);
    }
    if (path === '/base.html') {
      res.setHeader('content-type', 'text/html');
      return res.end(`<html><head><base href="/sub/"></head><body><a id="r" href="/abs">x</a><a id="p" href="rel">y</a></body></html>`);
    }
    if (path === '/style.css') {
      res.setHeader('content-type', 'text/css');
      const css = `@import "${a.url}/reset.css";\nbody { background: url(/bg.png) }\n.logo { background: url('${b.url}/base/logo.svg') }\n.x { background: url(data:image/png;base64,AAAA) }\n.hero { background: image-set("${a.url}/hero.avif" type("image/avif"), '/hero.png' 1x) }\n`;
      const cut = css.indexOf('url(/bg') + 6;
      return writeInParts(res, [css.slice(0, cut), css.slice(cut)]);
    }
    if (path === '/icons.svg') {
      res.setHeader('content-type', 'image/svg+xml');
      res.setHeader('etag', '"svg"');
      const svg = `<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><a xlink:href="${a.url}/docs/x.html"><image href="/img.png"/></a><use href="${b.url}/base/sprite.svg#i"/><script><![CDATA[ fetch("${a.url}/api") ]]></script></svg>`;
      const cut = svg.indexOf('/docs/x.html');
      return writeInParts(res, [svg.slice(0, cut), svg.slice(cut)]);
    }
    if (path === '/gz.html') {
      res.setHeader('content-type', 'text/html');
      res.setHeader('content-encoding', 'gzip');
      const gz = gzipSync(`<html><body><a id="gz" href="${a.url}/zipped">z</a></body></html>`);
      res.setHeader('content-length', gz.length);
      return writeInParts(res, [gz.subarray(0, 20), gz.subarray(20)]);
    }
    if (path === '/img.png') {
      res.setHeader('content-type', 'image/png');
      res.setHeader('content-length', image.length);
      res.setHeader('etag', '"img"');
      return res.end(image);
    }
    if (path === '/app.js') {
      res.setHeader('content-type', 'text/javascript');
      res.setHeader('etag', '"js"');
      return res.end(`location.href = "${a.url}/x";`);
    }
    if (path === '/stream.html') {
      res.setHeader('content-type', 'text/html');
      res.write(`<html><body>${`<a href="${a.url}/x">x</a>`.repeat(4000)}`);
      // The end is sent only after the client has seen the beginning: a gateway that
      // buffered the whole page would never answer.
      await new Promise<void>((resolve) => (clientHasStart = resolve));
      return res.end('<p>end</p></body></html>');
    }
    if (path === '/big-style.html') {
      res.setHeader('content-type', 'text/html');
      res.write('<html><head><style>');
      for (let sent = 0; sent < BIG_STYLESHEET_RULES; sent += 256) res.write(BIG_STYLESHEET_RULE(a.url).repeat(256));
      return res.end(`</style></head><body><a href="${a.url}/after">after</a></body></html>`);
    }
    if (path === '/csp.html') {
      res.setHeader('content-type', 'text/html');
      res.setHeader('content-security-policy', `default-src 'none'; img-src ${b.url}/base/; script-src 'nonce-n' ${a.url}; report-uri ${a.url}/csp-report`);
      res.setHeader('content-security-policy-report-only', "img-src https://example.org");
      res.setHeader('reporting-endpoints', `csp="${a.url}/reports";note="/reports", elsewhere="https://example.org/r"`);
      res.setHeader('report-to', `{"group":"nel","max_age":60,"endpoints":[{"url":"${a.url}/nel"},{"url":"https://example.org/nel"}]}`);
      res.setHeader('link', `<${b.url}/base/font.woff2>; rel=preload; as=font, </next.html>; rel=next, <https://example.org/>; rel=preconnect`);
      return res.end(`<html><head><meta http-equiv="content-security-policy" content="style-src ${a.url}"></head></html>`);
    }
    if (path === '/latin1.html') {
      res.setHeader('content-type', 'text/html; charset=windows-1252');
      return res.end(Buffer.from(`<p>café</p><a id="l1" href="${a.url}/menu">menu</a>`, 'latin1'));
    }
    if (path === '/not-modified.html') {
      res.writeHead(304, { etag: '"v1"' });
      return res.end();
    }
    res.setHeader('content-type', 'text/plain');
    res.end(`a saw ${path}`);
  });
  b = await startOrigin(async (req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end(`<a id="back" href="${a.url}/page.html">back to a</a><a id="self" href="/base/next">next</a>`);
  });
  gateway = await startGateway({
    routes: [
      { path: '/a', origin: a.url },
      { path: '/b', origin: `${b.url}/base` },
      { path: '/raw', origin: a.url, rewriteLinks: false },
      { path: '/subst', origin: a.url, substitutions: [{ match: 'href', replace: 'href' }] },
    ],
  });
});
afterAll(async () => {
  await gateway?.stop();
  await Promise.all([a?.close(), b?.close()]);
});

/** The opening tag of the element with this id. */
function tag(html: string, id: string): string {
  const match = new RegExp(`<[a-z]+ id="${id}"[^>]*>`).exec(html);
  if (!match) throw new Error(`no element #${id} in:\n${html}`);
  return match[0];
}

describe('HTML', () => {
  let res: RawResponse;
  let html: string;
  beforeAll(async () => {
    res = await request(gateway.url, '/a/page.html');
    html = res.text;
  });

  it('rewrites absolute, root-relative and protocol-relative links to the route', () => {
    expect(tag(html, 'abs')).toContain('href="/a/docs/x.html?q=1#top"');
    expect(tag(html, 'root')).toContain('href="/a/docs/y.html"');
    expect(tag(html, 'proto')).toContain('href="/a/z"');
    expect(tag(html, 'entity')).toContain('href="/a/q?x=1&amp;y=2"');
  });

  it('sends links to another configured origin to that origin’s route', () => {
    expect(tag(html, 'other')).toContain('href="/b/page.html"');
    expect(html).toContain(`<script src="/b/lib.js"></script>`);
  });

  it('leaves relative and foreign URLs as they are', () => {
    expect(tag(html, 'rel')).toContain('href="sibling.html"');
    expect(tag(html, 'foreign')).toContain('href="https://example.org/x"');
  });

  it('keeps the path of a URL outside every base path of a sticky route\'s origin (the sticky site serves it)', () => {
    expect(tag(html, 'outside')).toContain('href="/elsewhere"');
  });

  it('rewrites every URL-bearing attribute', () => {
    expect(tag(html, 'area')).toContain('href="/a/area"');
    expect(tag(html, 'img')).toContain('src="/a/img.png"');
    expect(tag(html, 'img')).toContain('srcset="/a/img-1x.png 1x, /b/img-2x.png 2x, https://cdn.example.org/i.png 3x"');
    expect(tag(html, 'source')).toContain('srcset="/a/s.webp"');
    expect(tag(html, 'video')).toContain('src="/a/v.mp4"');
    expect(tag(html, 'video')).toContain('poster="/a/poster.jpg"');
    expect(tag(html, 'track')).toContain('src="/a/t.vtt"');
    expect(tag(html, 'audio')).toContain('src="/a/a.mp3"');
    expect(tag(html, 'iframe')).toContain('src="/a/frame.html"');
    expect(tag(html, 'embed')).toContain('src="/a/e.swf"');
    expect(tag(html, 'object')).toContain('data="/a/o.svg"');
    expect(tag(html, 'form')).toContain('action="/a/submit"');
    expect(tag(html, 'input')).toContain('src="/a/btn.png"');
    expect(tag(html, 'button')).toContain('formaction="/a/alt"');
    expect(tag(html, 'quote')).toContain('cite="/a/source"');
    expect(tag(html, 'table')).toContain('background="/a/tile.gif"');
    expect(tag(html, 'svgimage')).toContain('href="/a/svg.png"');
    expect(tag(html, 'use')).toContain('xlink:href="/a/sprite.svg#icon"');
    expect(html).toContain('imagesrcset="/a/hero.png 1x, /a/hero2.png 2x"');
  });

  it('rewrites meta refresh, style attributes (image-set() too) and <style> text', () => {
    expect(html).toContain('content="30; url=/a/next"');
    expect(tag(html, 'styled')).toContain('style="background-image: url(/a/div.png); color: red"');
    expect(tag(html, 'imageset')).toContain(`style="background-image: image-set('/a/set.avif' type('image/avif'), '/a/set.png' 1x)"`);
    expect(html).toContain(`<style>body { background: url("/a/bg.png") } @import '/a/print.css';</style>`);
  });

  it('drops integrity from rewritten scripts and stylesheets', () => {
    expect(html).toContain('<link rel="stylesheet" href="/a/style.css">');
    expect(html).not.toContain('integrity');
  });

  it('leaves <script> contents and text alone', () => {
    expect(html).toContain(`<script>fetch("/api/data"); const u = "${a.url}/inline";</script>`);
    expect(html).toContain(`<p>Text mentioning ${a.url}/text is not a link.</p>`);
  });

  it('fixes the validators of the rewritten body', () => {
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBeUndefined();
    expect(res.headers['last-modified']).toBeUndefined();
    expect(res.headers.etag).toBe('W/"v1"');
  });

  it('respects <base href>', async () => {
    const page = (await request(gateway.url, '/a/base.html')).text;
    expect(page).toContain('<base href="/a/sub/">');
    expect(page).toContain('<a id="r" href="/a/abs">');
    expect(page).toContain('<a id="p" href="rel">');
  });

  it('maps links between two routes both ways', async () => {
    const page = (await request(gateway.url, '/b/page.html')).text;
    expect(page).toBe(`<a id="back" href="/a/page.html">back to a</a><a id="self" href="/b/next">next</a>`);
  });

  it('rewrites a page in another charset and leaves its bytes in that charset', async () => {
    const res = await request(gateway.url, '/a/latin1.html');
    expect(res.headers['content-type']).toBe('text/html; charset=windows-1252');
    expect(res.body.toString('latin1')).toBe('<p>café</p><a id="l1" href="/a/menu">menu</a>');
  });

  it('decodes a gzip’ed page before rewriting it', async () => {
    const res = await request(gateway.url, '/a/gz.html', { headers: { 'accept-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    const body = res.headers['content-encoding'] === 'gzip' ? gunzipSync(res.body).toString('utf8') : res.text;
    expect(body).toBe(`<html><body><a id="gz" href="/a/zipped">z</a></body></html>`);
    expect(res.headers['content-length']).toBeUndefined();
  });

  it("makes Content-Security-Policy, Link and reporting headers, and a CSP <meta>, fit the rewritten page", async () => {
    const res = await request(gateway.url, '/a/csp.html');
    // Sources naming a configured origin gain 'self' (their URLs now load from the gateway); reports go through it.
    expect(res.headers['content-security-policy']).toBe(
      `default-src 'none'; img-src ${b.url}/base/ 'self'; script-src 'nonce-n' ${a.url} 'self'; report-uri /a/csp-report`,
    );
    expect(res.headers['content-security-policy-report-only']).toBe('img-src https://example.org');
    expect(res.headers['reporting-endpoints']).toBe('csp="/a/reports";note="/reports", elsewhere="https://example.org/r"');
    expect(JSON.parse(res.headers['report-to'] as string)).toEqual({ group: 'nel', max_age: 60, endpoints: [{ url: '/a/nel' }, { url: 'https://example.org/nel' }] });
    expect(res.headers.link).toBe('</b/font.woff2>; rel=preload; as=font, </a/next.html>; rel=next, <https://example.org/>; rel=preconnect');
    expect(res.text).toBe(`<html><head><meta http-equiv="content-security-policy" content="style-src ${a.url} 'self'"></head></html>`);
  });

  it('maps Link headers as it maps Location, but leaves CSP as sent, with rewriteLinks: false', async () => {
    const res = await request(gateway.url, '/raw/csp.html');
    // Three routes share a's origin: a URL at it maps to the first of them (routes.md).
    expect(res.headers.link).toBe('</b/font.woff2>; rel=preload; as=font, </a/next.html>; rel=next, <https://example.org/>; rel=preconnect');
    expect(res.headers['content-security-policy']).toBe(`default-src 'none'; img-src ${b.url}/base/; script-src 'nonce-n' ${a.url}; report-uri ${a.url}/csp-report`);
    expect(res.text).toBe(`<html><head><meta http-equiv="content-security-policy" content="style-src ${a.url}"></head></html>`);
  });

  it('does not rewrite with rewriteLinks: false', async () => {
    const res = await request(gateway.url, '/raw/page.html');
    expect(res.text).toBe(pageOfA());
    expect(res.headers.etag).toBe('"v1"');
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(pageOfA())));
  });
});

describe('streaming', () => {
  // /a reads the fetched body directly (in large reads); /subst reads it after substitutions.
  it.each(['/a', '/subst'])('sends the start of a page rewritten under %s before the origin has sent its end', async (route) => {
    const { port } = new URL(gateway.url);
    const body = await new Promise<string>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: `${route}/stream.html`, agent: false }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            if (!text) clientHasStart();
            text += chunk;
          });
          res.on('end', () => resolve(text));
          res.on('error', reject);
        })
        .on('error', reject);
    });
    // The origin's links map to its first route, /a, whichever route served the page.
    expect(body.startsWith('<html><body><a href="/a/x">x</a>')).toBe(true);
    expect(body.endsWith('<p>end</p></body></html>')).toBe(true);
    expect(body.split('href="/a/x"')).toHaveLength(4001);
  });
});

describe('a page with an 8 MiB inline stylesheet', () => {
  it('has every url() in it rewritten, and the pages after it too', async () => {
    const res = await request(gateway.url, '/a/big-style.html');
    const rule = BIG_STYLESHEET_RULE('/a');
    expect(res.text.length).toBe('<html><head><style>'.length + rule.length * BIG_STYLESHEET_RULES + '</style></head><body><a href="/a/after">after</a></body></html>'.length);
    expect(res.text.split(rule)).toHaveLength(BIG_STYLESHEET_RULES + 1);
    expect(res.text.endsWith('</style></head><body><a href="/a/after">after</a></body></html>')).toBe(true);
    // The tokenizer lets go of the memory that page needed; the next starts afresh.
    const next = await request(gateway.url, '/a/page.html');
    expect(tag(next.text, 'abs')).toBe('<a id="abs" href="/a/docs/x.html?q=1#top">');
  }, 30_000);
});

describe('CSS', () => {
  it('rewrites url() and @import, even split across chunks', async () => {
    const res = await request(gateway.url, '/a/style.css');
    expect(res.text).toBe(
      `@import "/a/reset.css";\nbody { background: url(/a/bg.png) }\n.logo { background: url('/b/logo.svg') }\n.x { background: url(data:image/png;base64,AAAA) }\n.hero { background: image-set("/a/hero.avif" type("image/avif"), '/a/hero.png' 1x) }\n`,
    );
  });
});

describe('SVG documents', () => {
  it('rewrites links in an image/svg+xml body, split across chunks, and leaves its script alone', async () => {
    const res = await request(gateway.url, '/a/icons.svg');
    expect(res.headers['content-type']).toBe('image/svg+xml');
    expect(res.headers.etag).toBe('W/"svg"');
    // A changed tag is written out again as HTMLRewriter writes it: ` />`, still well-formed XML.
    expect(res.text).toBe(
      `<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><a xlink:href="/a/docs/x.html"><image href="/a/img.png" /></a><use href="/b/sprite.svg#i" /><script><![CDATA[ fetch("${a.url}/api") ]]></script></svg>`,
    );
  });
});

describe('bodies that pass untouched', () => {
  it('keeps an image byte-identical, with its length and strong ETag', async () => {
    const res = await request(gateway.url, '/a/img.png');
    expect(res.body.equals(image)).toBe(true);
    expect(res.headers['content-length']).toBe(String(image.length));
    expect(res.headers.etag).toBe('"img"');
  });

  it('does not link-rewrite JavaScript', async () => {
    const res = await request(gateway.url, '/a/app.js');
    expect(res.text).toBe(`location.href = "${a.url}/x";`);
    expect(res.headers.etag).toBe('"js"');
  });

  it('leaves HEAD and 304 alone', async () => {
    const head = await request(gateway.url, '/a/page.html', { method: 'HEAD' });
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(pageOfA())));
    expect(head.headers.etag).toBe('"v1"');
    expect(head.headers['last-modified']).toBeDefined();
    const notModified = await request(gateway.url, '/a/not-modified.html');
    expect(notModified.status).toBe(304);
    expect(notModified.headers.etag).toBe('"v1"');
  });
});
