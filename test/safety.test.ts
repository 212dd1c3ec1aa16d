// Hostile paths and spoofed headers, sent raw (unnormalized) to the gateway in workerd.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from './support/gateway.ts';
import { request } from './support/http.ts';
import { startOrigin, type Origin } from './support/origin.ts';

let api: Origin;
let other: Origin;
let gateway: Gateway;

beforeAll(async () => {
  api = await startOrigin();
  other = await startOrigin();
  gateway = await startGateway({
    routes: [
      { path: '/api', origin: `${api.url}/base` },
      { path: '/secret', origin: other.url },
      { path: '/café', origin: other.url },
    ],
  });
});
afterAll(async () => {
  await gateway?.stop();
  await Promise.all([api?.close(), other?.close()]);
});

describe('dot segments', () => {
  it.each(['/api/../secret/x', '/api/%2e%2e/secret', '/api/..%2fsecret', '/api/%2E%2E%2Fsecret', '/api/./x', '/api/..%5csecret'])(
    'refuses %s with 400 before choosing a route',
    async (path) => {
      const before = api.seen.length + other.seen.length;
      const res = await request(gateway.url, path);
      expect(res.status).toBe(400);
      expect(res.json().error.reason).toMatch(/dot segments/);
      expect(api.seen.length + other.seen.length).toBe(before);
    },
  );

  it('refuses malformed percent-encoding', async () => {
    const res = await request(gateway.url, '/api/%E0%A4%A');
    expect(res.status).toBe(400);
  });

  it('refuses overlong UTF-8, which some servers decode to dots and slashes', async () => {
    const before = api.seen.length + other.seen.length;
    const res = await request(gateway.url, '/api/%C0%AE%C0%AE%C0%AFsecret');
    expect(res.status).toBe(400);
    expect(api.seen.length + other.seen.length).toBe(before);
  });

  it('passes escapes that are not UTF-8 (a Latin-1 name) on as sent', async () => {
    const res = await request(gateway.url, '/api/caf%E9?q=%E9');
    expect(res.status).toBe(200);
    expect(res.json().url).toBe('/base/caf%E9?q=%E9');
  });
});

describe('route paths', () => {
  it('match a configured non-ASCII path as browsers encode it, in either hex case, and forward the escapes as sent', async () => {
    for (const path of ['/caf%C3%A9/men%C3%BC', '/caf%c3%a9/men%c3%bc']) {
      const res = await request(gateway.url, path);
      expect(res.status).toBe(200);
      expect(res.json().url).toBe(path.slice('/caf%C3%A9'.length));
      expect(other.seen.at(-1)!.headers['x-forwarded-prefix']).toBe('/caf%C3%A9');
    }
  });
});

describe('origin escape', () => {
  it('keeps /api//evil.com/x on the configured origin', async () => {
    const res = await request(gateway.url, '/api//evil.com/x');
    expect(res.status).toBe(200);
    expect(res.json().url).toBe('/base/evil.com/x');
    expect(api.seen.at(-1)!.headers.host).toBe(`127.0.0.1:${api.port}`);
  });

  it('does not treat an absolute-form target as a new origin', async () => {
    const res = await request(gateway.url, '/api/http://127.0.0.1:1/x');
    expect(res.status).toBe(200);
    expect(res.json().url).toBe('/base/http://127.0.0.1:1/x');
  });
});

describe('forwarding headers', () => {
  it('replaces spoofed X-Forwarded-* and Forwarded instead of trusting them', async () => {
    const res = await request(gateway.url, '/api/who', {
      headers: {
        'x-forwarded-for': '6.6.6.6',
        'x-forwarded-host': 'evil.example',
        'x-forwarded-proto': 'https',
        'x-forwarded-prefix': '/evil',
        forwarded: 'for=6.6.6.6;host=evil.example',
        'x-real-ip': '6.6.6.6',
        'cf-connecting-ip': '6.6.6.6',
      },
    });
    const seen = res.json().headers;
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen['x-forwarded-host']).toBe(`127.0.0.1:${gateway.port}`);
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-prefix']).toBe('/api');
    expect(seen.forwarded).toBeUndefined();
    expect(seen['x-real-ip']).toBeUndefined();
    expect(seen['cf-connecting-ip']).toBeUndefined();
    expect(seen.via).toBe('1.1 switchyard');
    expect(seen['cdn-loop']).toBe('switchyard');
  });

  it('strips hop-by-hop request headers, including those named in Connection', async () => {
    const res = await request(gateway.url, '/api/hop', {
      headers: { connection: 'x-private-hop', 'x-private-hop': 'secret', 'proxy-authorization': 'Basic eA==', te: 'trailers' },
    });
    const seen = res.json().headers;
    expect(seen['x-private-hop']).toBeUndefined();
    expect(seen['proxy-authorization']).toBeUndefined();
    expect(seen.te).toBeUndefined();
  });
});
