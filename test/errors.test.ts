// The gateway's own answers: clear, JSON or HTML by Accept, naming route and reason.
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from './support/gateway.ts';
import { request } from './support/http.ts';
import { closedPort, startOrigin, type Origin } from './support/origin.ts';

let silent: Origin;
let gateway: Gateway;
const hanging: http.ServerResponse[] = [];
// Answers every request with bytes that are no HTTP response: a 1xx with nothing after it.
const broken = net.createServer((socket) => {
  socket.once('data', () => socket.end('HTTP/1.1 100 Continue\r\n\r\n'));
  socket.on('error', () => {});
});

beforeAll(async () => {
  // Accepts the request and never answers.
  silent = await startOrigin((_req, res) => void hanging.push(res));
  await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
  gateway = await startGateway({
    routes: [
      { path: '/broken', origin: `http://127.0.0.1:${(broken.address() as net.AddressInfo).port}` },
      { path: '/down', origin: `http://127.0.0.1:${await closedPort()}` },
      { path: '/slow', origin: silent.url, timeout: 300 },
    ],
  });
});
afterAll(async () => {
  await gateway?.stop();
  await silent?.close();
  broken.close();
});

describe('errors', () => {
  it('404 names the path when no route matches (JSON for programs)', async () => {
    const res = await request(gateway.url, '/nowhere/x');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    const id = res.headers['x-request-id'];
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.json()).toEqual({ error: { status: 404, title: 'Not Found', reason: 'no route matches /nowhere/x', route: null, requestId: id } });
  });

  it('a small HTML page when the client accepts text/html', async () => {
    const res = await request(gateway.url, '/nowhere/%3Cb%3E"', { headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toContain('<h1>404 Not Found</h1>');
    expect(res.text).not.toContain('<b>');
  });

  it('502 when the origin cannot be reached, naming the route', async () => {
    const res = await request(gateway.url, '/down/x');
    expect(res.status).toBe(502);
    const { error } = res.json();
    expect(error.route).toBe('/down');
    expect(error.reason).toMatch(/could not be reached/);
    expect(res.text).not.toMatch(/\bat .*\.(js|ts):\d+/);
  });

  it('502 when the origin answers with no valid HTTP response, saying it may have', async () => {
    // workerd reports a refused connection and an unreadable answer alike ("Network connection
    // lost"), so the reason names both rather than send users looking for a network fault.
    const res = await request(gateway.url, '/broken/x');
    expect(res.status).toBe(502);
    expect(res.json().error).toMatchObject({ route: '/broken', reason: expect.stringMatching(/sent no valid HTTP response/) });
  });

  it('504 when the origin does not answer within the route timeout', async () => {
    const started = Date.now();
    const res = await request(gateway.url, '/slow/x');
    expect(res.status).toBe(504);
    expect(res.json().error).toMatchObject({ route: '/slow', reason: 'upstream did not answer within 300 ms' });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(silent.seen.length).toBe(1);
  });
});
