// Regex substitutions on streamed bodies, through the real gateway in workerd.
import type http from 'node:http';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from './support/gateway.ts';
import { request } from './support/http.ts';
import { startOrigin, type Origin } from './support/origin.ts';

let site: Origin;
let gateway: Gateway;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, ...Buffer.from('http://10.1.2.3/ inside a binary'), 0xff, 0xfe, 0x00]);

async function writeInParts(res: http.ServerResponse, parts: (string | Buffer)[]) {
  for (const part of parts) {
    res.write(part);
    await sleep(30);
  }
  res.end();
}

// The web_proxy example, in routes.json terms: the backend's absolute URLs become the route's path.
const rules = [
  { match: 'http://10\\.1\\.2\\.3', replace: '/intranet' },
  { match: 'http://img3\\.example\\.com', replace: '/intranet-img3' },
];

beforeAll(async () => {
  site = await startOrigin(async (req, res) => {
    const path = req.url!;
    if (path === '/split.html') {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      // The match is cut in two, and so is a 3-byte character and a 4-byte one.
      const body = Buffer.from('<p>前 <a href="http://10.1.2.3/img/a.png">a</a> 🚀 <img src="http://img3.example.com/b.png"></p>');
      const inMatch = body.indexOf('10.1.2.3') + 4;
      const inChar = body.indexOf(Buffer.from('🚀')) + 2;
      return writeInParts(res, [body.subarray(0, 4), body.subarray(4, inMatch), body.subarray(inMatch, inChar), body.subarray(inChar)]);
    }
    if (path === '/big.txt') {
      res.setHeader('content-type', 'text/plain');
      // Many chunks of odd sizes; matches fall on every kind of boundary.
      const body = 'é http://10.1.2.3/x '.repeat(5000);
      const buffer = Buffer.from(body);
      const parts: Buffer[] = [];
      for (let i = 0, size = 1; i < buffer.length; i += size, size = (size * 7 + 3) % 5000 || 1) parts.push(buffer.subarray(i, i + size));
      for (const part of parts) res.write(part);
      return res.end();
    }
    if (path === '/data.json') {
      res.setHeader('content-type', 'application/json');
      return res.end(JSON.stringify({ link: 'http://10.1.2.3/api' }));
    }
    if (path === '/map.svg') {
      res.setHeader('content-type', 'image/svg+xml');
      return res.end('<svg xmlns="http://www.w3.org/2000/svg"><image href="http://10.1.2.3/a.png"/></svg>');
    }
    if (path === '/page.xhtml') {
      res.setHeader('content-type', 'application/xhtml+xml');
      return res.end('<html xmlns="http://www.w3.org/1999/xhtml"><body><img src="http://10.1.2.3/a.png"/></body></html>');
    }
    if (path === '/image.png') {
      res.setHeader('content-type', 'image/png');
      res.setHeader('content-length', png.length);
      return res.end(png);
    }
    if (path === '/gz.js') {
      res.setHeader('content-type', 'application/javascript');
      res.setHeader('content-encoding', 'gzip');
      return res.end(gzipSync('const api = "http://10.1.2.3/api";'));
    }
    if (path === '/latin1.html') {
      res.setHeader('content-type', 'text/html; charset=iso-8859-1');
      return res.end(Buffer.from('<p>café http://10.1.2.3/menu</p>', 'latin1'));
    }
    if (path === '/meta-latin1.html') {
      // Old intranet style: the charset only in <meta>, not in Content-Type.
      res.setHeader('content-type', 'text/html');
      return res.end(Buffer.from('<meta charset="iso-8859-1"><p>café http://10.1.2.3/menu</p>', 'latin1'));
    }
    if (path === '/latin1.svg') {
      res.setHeader('content-type', 'image/svg+xml');
      return res.end(Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><svg><text>café http://10.1.2.3/menu</text></svg>', 'latin1'));
    }
    if (path === '/order.html') {
      res.setHeader('content-type', 'text/html');
      return res.end(`<a href="${site.url}/special">s</a><a href="${site.url}/plain">p</a><a href="http://10.1.2.3/x">x</a><style>a{background:url(http://10.1.2.3/bg.png)}</style>`);
    }
    if (path === '/lazy.html') {
      res.setHeader('content-type', 'text/html');
      return res.end('<img data-src="/img/a.png"><img data-src="http://10.1.2.3/b.png">');
    }
    if (path === '/style.css') {
      res.setHeader('content-type', 'text/css');
      return res.end('a{background:url(http://10.1.2.3/bg.png)} b{background:url(/other.png)}');
    }
    res.setHeader('content-type', 'text/plain');
    res.end('http://10.1.2.3/');
  });
  gateway = await startGateway({
    routes: [
      { path: '/intranet', origin: site.url, substitutions: rules },
      { path: '/css-only', origin: site.url, substitutions: [{ match: '10\\.1\\.2\\.3', replace: 'X', contentTypes: ['text/css'] }] },
      { path: '/order', origin: site.url, substitutions: [{ match: '[\\d.]+:\\d+/special', replace: 'elsewhere.example/special' }] },
      { path: '/lazy', origin: site.url, substitutions: [{ match: 'data-src=', replace: 'src=' }, ...rules] },
      { path: '/no-links', origin: site.url, rewriteLinks: false, substitutions: rules },
      { path: '/first', origin: site.url, substitutions: [{ match: 'http://10\\.1\\.2\\.3', replace: '/one', flags: '' }] },
    ],
  });
});
afterAll(async () => {
  await gateway?.stop();
  await site?.close();
});

describe('substitutions', () => {
  it('apply the web_proxy rules across chunk and character boundaries', async () => {
    const res = await request(gateway.url, '/intranet/split.html');
    expect(res.text).toBe('<p>前 <a href="/intranet/img/a.png">a</a> 🚀 <img src="/intranet-img3/b.png"></p>');
    expect(res.headers['content-length']).toBeUndefined();
  });

  it('equal a whole-body replace on a long body in uneven chunks', async () => {
    const res = await request(gateway.url, '/intranet/big.txt');
    expect(res.text).toBe('é /intranet/x '.repeat(5000));
  });

  it('apply to SVG and XHTML documents by default', async () => {
    expect((await request(gateway.url, '/intranet/map.svg')).text).toBe('<svg xmlns="http://www.w3.org/2000/svg"><image href="/intranet/a.png"/></svg>');
    expect((await request(gateway.url, '/intranet/page.xhtml')).text).toBe('<html xmlns="http://www.w3.org/1999/xhtml"><body><img src="/intranet/a.png"/></body></html>');
  });

  it('apply to JSON and to decoded gzip bodies by default', async () => {
    expect((await request(gateway.url, '/intranet/data.json')).json()).toEqual({ link: '/intranet/api' });
    const js = await request(gateway.url, '/intranet/gz.js', { headers: { 'accept-encoding': 'gzip' } });
    const text = js.headers['content-encoding'] === 'gzip' ? gunzipSync(js.body).toString('utf8') : js.text;
    expect(text).toBe('const api = "/intranet/api";');
  });

  it('leave binary bodies byte-identical', async () => {
    const res = await request(gateway.url, '/intranet/image.png');
    expect(res.body.equals(png)).toBe(true);
    expect(res.headers['content-length']).toBe(String(png.length));
  });

  it('apply only to the listed content types', async () => {
    expect((await request(gateway.url, '/css-only/data.json')).json()).toEqual({ link: 'http://10.1.2.3/api' });
  });

  it('run before link rewriting, which leaves what they wrote alone', async () => {
    // Had links been rewritten first, the substitution could not have matched the origin's URL.
    expect((await request(gateway.url, '/order/order.html')).text).toBe(
      '<a href="http://elsewhere.example/special">s</a><a href="/intranet/plain">p</a><a href="http://10.1.2.3/x">x</a><style>a{background:url(http://10.1.2.3/bg.png)}</style>',
    );
    // The web_proxy rule writes a gateway path; link rewriting does not map it a second time.
    const mixed = (await request(gateway.url, '/intranet/order.html')).text;
    expect(mixed).toBe('<a href="/intranet/special">s</a><a href="/intranet/plain">p</a><a href="/intranet/x">x</a><style>a{background:url(/intranet/bg.png)}</style>');
  });

  it('can make attributes that link rewriting then maps', async () => {
    // Both routes serve this origin: its root-relative links map to the first, /intranet.
    expect((await request(gateway.url, '/lazy/lazy.html')).text).toBe('<img src="/intranet/img/a.png"><img src="/intranet/b.png">');
  });

  it('keep their gateway paths in CSS, where link rewriting maps the rest', async () => {
    expect((await request(gateway.url, '/intranet/style.css')).text).toBe('a{background:url(/intranet/bg.png)} b{background:url(/intranet/other.png)}');
  });

  it('replace only the first match without the g flag', async () => {
    expect((await request(gateway.url, '/first/big.txt')).text).toBe('é /one/x ' + 'é http://10.1.2.3/x '.repeat(4999));
  });

  it('decode a declared charset and answer in UTF-8', async () => {
    const res = await request(gateway.url, '/intranet/latin1.html');
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.text).toBe('<p>café /intranet/menu</p>');
  });

  it('decode an SVG in the encoding its XML declaration names, and label the answer UTF-8 in the header', async () => {
    const res = await request(gateway.url, '/intranet/latin1.svg');
    expect(res.headers['content-type']).toBe('image/svg+xml; charset=utf-8');
    expect(res.text).toBe('<?xml version="1.0" encoding="ISO-8859-1"?><svg><text>café /intranet/menu</text></svg>');
  });

  it('decode a charset named only in <meta>, and label the answer UTF-8 in the header', async () => {
    const res = await request(gateway.url, '/intranet/meta-latin1.html');
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.text).toBe('<meta charset="iso-8859-1"><p>café /intranet/menu</p>');
    // Also where links are not rewritten: the charset is a matter of decoding, not of links.
    const plain = await request(gateway.url, '/no-links/meta-latin1.html');
    expect(plain.text).toBe('<meta charset="iso-8859-1"><p>café /intranet/menu</p>');
  });
});
