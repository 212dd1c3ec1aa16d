// CDN-Loop (RFC 8586): a gateway that reaches itself answers 508 instead of recursing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from './support/gateway.ts';
import { request } from './support/http.ts';
import { closedPort } from './support/origin.ts';
import { startWorkerd, type RunningWorkerd } from '../scripts/workerd.ts';
import { inject } from 'vitest';

let gateway: RunningWorkerd;
let self: number;

beforeAll(async () => {
  // The route must point at the gateway's own port, known only once it listens: reserve one.
  self = await closedPort();
  gateway = await startWorkerd({
    script: inject('bundle'),
    address: `127.0.0.1:${self}`,
    bindings: { ROUTES: { routes: [{ path: '/me', origin: `http://127.0.0.1:${self}/me` }, { path: '/', origin: `http://127.0.0.1:${self}` }] } },
  });
});
afterAll(() => gateway?.stop());

describe('loops', () => {
  it('answers 508 when a route points at the gateway itself', async () => {
    const res = await request(gateway.url, '/me/x');
    expect(res.status).toBe(508);
    expect(res.json().error.reason).toMatch(/CDN-Loop/);
  });

  it('answers 508 to a request that already carries our id', async () => {
    const res = await request(gateway.url, '/anything', { headers: { 'cdn-loop': 'fastly, switchyard' } });
    expect(res.status).toBe(508);
    expect(res.json().error.route).toBe('/');
  });
});

describe('chained gateways with different ids', () => {
  let front: Gateway;
  afterAll(() => front?.stop());
  it('do not mistake each other for a loop', async () => {
    const back = await startGateway({ id: 'back', routes: [{ path: '/', origin: `http://127.0.0.1:${await closedPort()}` }] });
    try {
      front = await startGateway({ id: 'front', routes: [{ path: '/', origin: back.url }] });
      const res = await request(front.url, '/x');
      // The back gateway's origin is down: a 502 from it proves the request passed both.
      expect(res.status).toBe(502);
      expect(res.json().error.reason).toMatch(/could not be reached/);
    } finally {
      await back.stop();
    }
  });
});
