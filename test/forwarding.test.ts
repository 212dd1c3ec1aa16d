// Forwarding through the real gateway in workerd to real origins on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from './support/gateway.ts';
import { request } from './support/http.ts';
import { echo, startOrigin, type Origin } from './support/origin.ts';

let api: Origin;
let site: Origin;
let gateway: Gateway;

beforeAll(async () => {
  api = await startOrigin();
  site = await startOrigin((req, res) => {
    if (!req.url!.startsWith('/slowbody')) return echo(req, res);
    // Headers at once, the body well past the route's 200 ms timeout.
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('first ');
    setTimeout(() => res.end('last'), 600);
  });
  gateway = await startGateway({
    routes: [
      { path: '/api', origin: `${api.url}/v1` },
      { path: '/api/admin', origin: `${site.url}/admin-base` },
      { path: '/full', origin: api.url, stripPrefix: false },
      { path: '/tenant', origin: `${api.url}/any-host` },
      { path: '/tenant', host: '*.tenants.test', origin: `${api.url}/wildcard-host` },
      { path: '/tenant', host: 'vip.tenants.test', origin: `${api.url}/exact-host` },
      { path: '/slowbody', origin: `${site.url}/slowbody`, timeout: 200 },
      { path: '/', origin: site.url },
    ],
  });
});
afterAll(async () => {
  await gateway?.stop();
  await Promise.all([api?.close(), site?.close()]);
});

describe('routing', () => {
  it('strips the prefix and joins onto the base path, keeping the query', async () => {
    const res = await request(gateway.url, '/api/users?x=1&y=%20');
    expect(res.status).toBe(200);
    expect(res.json().url).toBe('/v1/users?x=1&y=%20');
  });

  it('matches the prefix itself and its trailing slash', async () => {
    expect((await request(gateway.url, '/api')).json().url).toBe('/v1');
    expect((await request(gateway.url, '/api/')).json().url).toBe('/v1/');
  });

  it('matches only at a segment boundary', async () => {
    const res = await request(gateway.url, '/apix/1');
    expect(res.json().url).toBe('/apix/1');
    expect(site.seen.at(-1)!.url).toBe('/apix/1');
  });

  it('lets the longest prefix win', async () => {
    const res = await request(gateway.url, '/api/admin/panel');
    expect(res.json().url).toBe('/admin-base/panel');
  });

  it('appends the full path without stripPrefix', async () => {
    expect((await request(gateway.url, '/full/a?b=c')).json().url).toBe('/full/a?b=c');
  });

  it('passes encoded slashes through as sent', async () => {
    expect((await request(gateway.url, '/api/group%2Fproject')).json().url).toBe('/v1/group%2Fproject');
  });
});

describe('host-bound routes', () => {
  const as = (host: string) => request(gateway.url, '/tenant/x', { headers: { host } });
  it('prefers an exact host, then a wildcard, then the unbound route', async () => {
    expect((await as('vip.tenants.test')).json().url).toBe('/exact-host/x');
    expect((await as('a.tenants.test:8787')).json().url).toBe('/wildcard-host/x');
    expect((await as('tenants.test')).json().url).toBe('/any-host/x');
    expect((await as('other.example')).json().url).toBe('/any-host/x');
  });
});

describe('timeout', () => {
  it('bounds the wait for headers, not the body', async () => {
    const res = await request(gateway.url, '/slowbody');
    expect(res.status).toBe(200);
    expect(res.text).toBe('first last');
  });
});
