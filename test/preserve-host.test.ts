// preserveHost off the edge: bare workerd (npm run serve, and this suite's gateway) reaches each
// preserveHost origin through a service of its own, so the origin sees the client's Host.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { preserveHostOrigins, workerdConfig, discardConfig } from '../scripts/workerd.ts';
import { startGateway, type Gateway } from './support/gateway.ts';
import { request } from './support/http.ts';
import { closedPort, startOrigin, type Origin } from './support/origin.ts';

let origin: Origin;
let gateway: Gateway;
let down: number;

beforeAll(async () => {
  origin = await startOrigin();
  down = await closedPort();
  gateway = await startGateway({
    routes: [
      { path: '/keep', origin: `${origin.url}/v1`, preserveHost: true },
      { path: '/pool', origins: [`http://127.0.0.1:${down}`, `${origin.url}/v2`], preserveHost: true },
      { path: '/plain', origin: `${origin.url}/v1` },
    ],
  });
});
afterAll(async () => {
  await gateway?.stop();
  await origin?.close();
});

describe('preserveHost under bare workerd', () => {
  it('sends the client\'s Host to the origin\'s address', async () => {
    const res = await request(gateway.url, '/keep/x?q=1', { headers: { host: 'app.example.test' } });
    expect(res.status).toBe(200);
    const seen = res.json();
    expect(seen.url).toBe('/v1/x?q=1');
    expect(seen.headers.host).toBe('app.example.test');
    expect(seen.headers['x-forwarded-host']).toBe('app.example.test');
  });

  it('keeps a port the client named, and a name with an underscore', async () => {
    const res = await request(gateway.url, '/keep/y', { headers: { host: 'app.example.test:8443' } });
    expect(res.json().headers.host).toBe('app.example.test:8443');
    const underscore = await request(gateway.url, '/keep/y', { headers: { host: 'my_app.example.test' } });
    expect(underscore.json().headers.host).toBe('my_app.example.test');
  });

  it('reaches each origin of a pool at its own address', async () => {
    const res = await request(gateway.url, '/pool/z', { headers: { host: 'pool.example.test' } });
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ url: '/v2/z', headers: { host: 'pool.example.test' } });
  });

  it('leaves other routes asking with the origin\'s own Host', async () => {
    const res = await request(gateway.url, '/plain/x', { headers: { host: 'app.example.test' } });
    expect(res.json().headers.host).toBe(`127.0.0.1:${origin.port}`);
  });
});

describe('the generated workerd config', () => {
  it('has one external service per distinct preserveHost origin', () => {
    const routes = {
      routes: [
        { path: '/a', origin: 'https://intranet.example.com/base', preserveHost: true },
        { path: '/b', origins: ['https://intranet.example.com', 'http://[::1]:8080'], preserveHost: true },
        { path: '/c', origin: 'http://elsewhere.example.com' },
      ],
    };
    expect(preserveHostOrigins(JSON.stringify(routes))).toEqual(['https://intranet.example.com', 'http://[::1]:8080']);
    expect(preserveHostOrigins('{not json')).toEqual([]);
    const config = workerdConfig({ script: inject('bundle'), bindings: { ROUTES: routes } });
    try {
      const text = readFileSync(config, 'utf8');
      expect(text).toContain('(name = "origin-0", external = (address = "intranet.example.com:443", https = (certificateHost = "intranet.example.com", tlsOptions = (trustBrowserCas = true)))),');
      expect(text).toContain('(name = "origin-1", external = (address = "[::1]:8080", http = ())),');
      expect(text).toContain('(name = "switchyard-origin https://intranet.example.com", service = "origin-0")');
      expect(text).not.toContain('elsewhere');
    } finally {
      discardConfig(config);
    }
  });
});
