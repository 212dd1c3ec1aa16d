// Forwarding through the real gateway in workerd to real origins on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from './support/gateway.ts';
import { request } from './support/http.ts';
import { startOrigin, type Origin } from './support/origin.ts';

let api: Origin;
let site: Origin;
let gateway: Gateway;

beforeAll(async () => {
  api = await startOrigin();
  site = await startOrigin();
  gateway = await startGateway({
    routes: [
      { path: '/api', origin: `${api.url}/v1` },
      { path: '/api/admin', origin: `${site.url}/admin-base` },
      { path: '/full', origin: api.url, stripPrefix: false },
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
