// Per-route access control through the real gateway in workerd. Every client here is
// 127.0.0.1 (or ::1 for the IPv6 gateway), so IP rules use ranges that do / do not hold them.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startWorkerd, type RunningWorkerd } from '../scripts/workerd.ts';
import { startGateway, type Gateway } from './support/gateway.ts';
import { request } from './support/http.ts';
import { echo, readBody, startOrigin, type Origin } from './support/origin.ts';

const GW_TOKEN = 'gw-token-9f2c1a7e';
const GW_BASIC = 'alice:correct horse';
const API_KEY = 'upstream-key-5d1e0b33';

let api: Origin;
let uploadOrigin: Origin;
/** bodies the upload origin read to their end */
const uploads: string[] = [];
let gateway: Gateway;
let gateway6: RunningWorkerd;
let gateway6Url: string;

const routes = () => ({
  routes: [
    { path: '/local', origin: api.url, access: { allowIps: ['127.0.0.0/8', '::1/128'] } },
    { path: '/elsewhere', origin: api.url, access: { allowIps: ['10.0.0.0/8', '2001:db8::/32'] } },
    { path: '/deny-local', origin: api.url, access: { denyIps: ['127.0.0.1/32', '::1'] } },
    { path: '/deny-v4-net', origin: api.url, access: { denyIps: ['127.0.0.0/8'] } },
    { path: '/deny-v6-net', origin: api.url, access: { denyIps: ['::/127'] } },
    { path: '/deny-wins', origin: api.url, access: { allowIps: ['0.0.0.0/0', '::/0'], denyIps: ['127.0.0.0/24', '::1/128'] } },
    { path: '/read-only', origin: api.url, access: { methods: ['GET'] } },
    { path: '/bearer', origin: api.url, access: { auth: { type: 'bearer', credential: '${GW_TOKEN}' } } },
    { path: '/basic', origin: api.url, access: { auth: { type: 'basic', credential: '${GW_BASIC}' } } },
    {
      path: '/hidden-key',
      origin: api.url,
      access: { auth: { type: 'bearer', credential: '${GW_TOKEN}' } },
      headers: { request: { set: { Authorization: 'Bearer ${API_KEY}' } } },
    },
    { path: '/small', origin: uploadOrigin.url, access: { maxBodyBytes: 16 } },
    { path: '/cors-denied', origin: api.url, cors: true, access: { allowIps: ['10.0.0.0/8'] } },
    { path: '/cors-auth', origin: api.url, cors: { origins: ['http://127.0.0.1:1234'], credentials: true }, access: { auth: { type: 'bearer', credential: '${GW_TOKEN}' } } },
  ],
});

beforeAll(async () => {
  api = await startOrigin(echo);
  uploadOrigin = await startOrigin(async (req, res) => {
    const body = (await readBody(req)).toString('utf8');
    uploads.push(body);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ body }));
  });
  const secrets = { GW_TOKEN, GW_BASIC, API_KEY };
  gateway = await startGateway(routes(), secrets);
  gateway6 = await startWorkerd({ script: inject('bundle'), address: '[::1]:0', bindings: { ROUTES: routes(), ...secrets } });
  gateway6Url = `http://[::1]:${gateway6.port}`;
});
afterAll(async () => {
  await Promise.all([gateway?.stop(), gateway6?.stop()]);
  await Promise.all([api?.close(), uploadOrigin?.close()]);
});

/** Asserts the origin saw nothing during `run`. */
async function notForwarded<T>(run: () => Promise<T>, origin = api): Promise<T> {
  const before = origin.seen.length;
  const result = await run();
  expect(origin.seen.length).toBe(before);
  return result;
}

describe('IP allow and deny lists', () => {
  it('lets 127.0.0.1 and ::1 through a list that holds them', async () => {
    expect((await request(gateway.url, '/local/x')).status).toBe(200);
    expect((await fetch(`${gateway6Url}/local/x`)).status).toBe(200);
  });

  it('refuses 127.0.0.1 and ::1 when the allow list lacks them, forwarding nothing', async () => {
    const res = await notForwarded(() => request(gateway.url, '/elsewhere/x'));
    expect(res.status).toBe(403);
    expect(res.json().error.reason).toContain('127.0.0.1');
    expect(res.json().error.route).toBe('/elsewhere');
    const res6 = await notForwarded(() => fetch(`${gateway6Url}/elsewhere/x`));
    expect(res6.status).toBe(403);
    expect(((await res6.json()) as { error: { reason: string } }).error.reason).toContain('::1');
  });

  it('refuses a denied address', async () => {
    expect((await notForwarded(() => request(gateway.url, '/deny-local/x'))).status).toBe(403);
    expect((await notForwarded(() => fetch(`${gateway6Url}/deny-local/x`))).status).toBe(403);
  });

  it('applies an IPv4 range to IPv4 clients only, and an IPv6 range to IPv6 clients only', async () => {
    expect((await request(gateway.url, '/deny-v4-net/x')).status).toBe(403);
    expect((await fetch(`${gateway6Url}/deny-v4-net/x`)).status).toBe(200);
    expect((await request(gateway.url, '/deny-v6-net/x')).status).toBe(200);
    expect((await fetch(`${gateway6Url}/deny-v6-net/x`)).status).toBe(403);
  });

  it('lets deny win over allow', async () => {
    expect((await request(gateway.url, '/deny-wins/x')).status).toBe(403);
    expect((await fetch(`${gateway6Url}/deny-wins/x`)).status).toBe(403);
  });

  it('ignores a client-sent CF-Connecting-IP or X-Forwarded-For in bare workerd', async () => {
    const res = await request(gateway.url, '/elsewhere/x', { headers: { 'cf-connecting-ip': '10.1.1.1', 'x-forwarded-for': '10.1.1.1' } });
    expect(res.status).toBe(403);
  });

  it('answers a browser\'s refused request with CORS headers, so the page can read why', async () => {
    const res = await notForwarded(() => request(gateway.url, '/cors-denied/x', { headers: { origin: 'https://app.test' } }));
    expect(res.status).toBe(403);
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });
});

describe('allowed methods', () => {
  it('passes GET and HEAD, refuses others with 405 and Allow', async () => {
    expect((await request(gateway.url, '/read-only/x')).status).toBe(200);
    expect((await request(gateway.url, '/read-only/x', { method: 'HEAD' })).status).toBe(200);
    const res = await notForwarded(() => request(gateway.url, '/read-only/x', { method: 'POST', body: 'x' }));
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET');
    expect(res.json().error.reason).toContain('POST');
  });
});

describe('gateway credential', () => {
  it('asks for a bearer token with 401 and WWW-Authenticate, forwarding nothing', async () => {
    const res = await notForwarded(() => request(gateway.url, '/bearer/x'));
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="/);
    expect(res.text).not.toContain(GW_TOKEN);
  });

  it('refuses a wrong or truncated token', async () => {
    for (const token of ['nope', GW_TOKEN.slice(0, -1), `${GW_TOKEN}x`]) {
      const res = await notForwarded(() => request(gateway.url, '/bearer/x', { headers: { authorization: `Bearer ${token}` } }));
      expect(res.status).toBe(401);
    }
  });

  it('passes the right token, and the origin never sees it', async () => {
    const res = await request(gateway.url, '/bearer/x', { headers: { authorization: `Bearer ${GW_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(api.seen.at(-1)!.headers.authorization).toBeUndefined();
    expect(res.text).not.toContain(GW_TOKEN);
  });

  it('checks basic auth', async () => {
    const basic = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;
    const refused = await notForwarded(() => request(gateway.url, '/basic/x', { headers: { authorization: basic('alice:wrong') } }));
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toMatch(/^Basic realm="[^"]*", charset="UTF-8"$/);
    expect((await request(gateway.url, '/basic/x', { headers: { authorization: basic(GW_BASIC) } })).status).toBe(200);
  });

  it('replaces the gateway credential with the injected upstream key (API key hider)', async () => {
    const res = await request(gateway.url, '/hidden-key/x', { headers: { authorization: `Bearer ${GW_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(api.seen.at(-1)!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    // The origin echoes its request: the key is masked in the body, at the same length.
    expect(res.text).not.toContain(API_KEY);
    expect(res.json().headers.authorization).toBe(`Bearer ${'*'.repeat(API_KEY.length)}`);
  });

  it('lets a CORS preflight through without credentials, then refuses the unauthenticated request readably', async () => {
    const pre = await notForwarded(() =>
      request(gateway.url, '/cors-auth/x', {
        method: 'OPTIONS',
        headers: { origin: 'http://127.0.0.1:1234', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      }),
    );
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-headers']).toBe('authorization');
    const res = await request(gateway.url, '/cors-auth/x', { headers: { origin: 'http://127.0.0.1:1234' } });
    expect(res.status).toBe(401);
    expect(res.headers['access-control-allow-origin']).toBe('http://127.0.0.1:1234');
    expect(res.headers['access-control-expose-headers']).toContain('www-authenticate');
  });
});

describe('maximum body size', () => {
  it('refuses a Content-Length over the limit before forwarding', async () => {
    const res = await notForwarded(() => request(gateway.url, '/small/x', { method: 'POST', body: 'x'.repeat(17) }), uploadOrigin);
    expect(res.status).toBe(413);
    expect(res.json().error.reason).toContain('16 bytes');
  });

  it('forwards a body at the limit', async () => {
    const res = await request(gateway.url, '/small/x', { method: 'POST', body: 'x'.repeat(16) });
    expect(res.status).toBe(200);
    expect(res.json().body).toBe('x'.repeat(16));
  });

  it('cuts off a body without Content-Length once it passes the limit', async () => {
    const res = await chunkedPost(gateway.url, '/small/x', ['0123456789', '0123456789', '0123456789']);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.text).error.route).toBe('/small');
    // The origin may have seen the upload start, but never as a complete (truncated) body.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(uploads).not.toContain('0123456789');
    expect(uploads.filter((body) => body.startsWith('0123456789'))).toEqual([]);
  });

  it('streams a small body without Content-Length through', async () => {
    const res = await chunkedPost(gateway.url, '/small/x', ['01234', '56789']);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).body).toBe('0123456789');
  });
});

describe('config errors', () => {
  it('reports a malformed CIDR with its JSON path and proxies nothing', async () => {
    const broken = await startGateway({ routes: [{ path: '/a', origin: api.url, access: { allowIps: ['10.0.0.0/8', '10.0.0.300/8'] } }] });
    try {
      const res = await notForwarded(() => request(broken.url, '/a/x'));
      expect(res.status).toBe(500);
      expect(res.json().error.problems.join('\n')).toContain('routes[0].access.allowIps[1]');
    } finally {
      await broken.stop();
    }
  });

  it('reports a credential whose secret is not bound', async () => {
    const broken = await startGateway({ routes: [{ path: '/a', origin: api.url, access: { auth: { type: 'bearer', credential: '${NOT_SET}' } } }] });
    try {
      const res = await request(broken.url, '/a/x');
      expect(res.status).toBe(500);
      expect(res.json().error.problems.join('\n')).toContain('routes[0].access.auth.credential');
    } finally {
      await broken.stop();
    }
  });
});

/** A POST sent with Transfer-Encoding: chunked, one chunk at a time. */
async function chunkedPost(base: string, path: string, chunks: string[]): Promise<{ status: number; text: string }> {
  const http = await import('node:http');
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path, method: 'POST', agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    });
    req.on('error', reject);
    const send = (i: number) => {
      if (i === chunks.length) return req.end();
      req.write(chunks[i]);
      setTimeout(() => send(i + 1), 20);
    };
    send(0);
  });
}
