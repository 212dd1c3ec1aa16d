// WebSocket upgrades pass through the gateway to a real ws origin.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { startGateway, type Gateway } from './support/gateway.ts';

let server: http.Server;
let gateway: Gateway;
let upgradeHeaders: http.IncomingHttpHeaders | undefined;
let upgradeUrl: string | undefined;

beforeAll(async () => {
  server = http.createServer((_req, res) => res.end('plain'));
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket, req) => {
    upgradeHeaders = req.headers;
    upgradeUrl = req.url;
    socket.on('message', (data) => socket.send(`echo:${data}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  gateway = await startGateway({ routes: [{ path: '/ws', origin: `http://127.0.0.1:${port}/socket` }] });
});
afterAll(async () => {
  await gateway?.stop();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

describe('websocket', () => {
  it('upgrades through the gateway and carries messages both ways', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${gateway.port}/ws/room?id=7`);
    const reply = await new Promise<string>((resolve, reject) => {
      socket.on('open', () => socket.send('hello'));
      socket.on('message', (data) => resolve(String(data)));
      socket.on('error', reject);
    });
    socket.close();
    expect(reply).toBe('echo:hello');
    expect(upgradeUrl).toBe('/socket/room?id=7');
    expect(upgradeHeaders!['x-forwarded-host']).toBe(`127.0.0.1:${gateway.port}`);
    expect(upgradeHeaders!.via).toBe('1.1 switchyard');
  });

  it('carries the request id both ways: to the origin and on the 101 (rebuilt with its socket)', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${gateway.port}/ws/room`, { headers: { 'x-request-id': 'client-chosen' } });
    const answer = await new Promise<http.IncomingMessage>((resolve, reject) => {
      socket.on('upgrade', resolve);
      socket.on('error', reject);
    });
    const reply = await new Promise<string>((resolve) => {
      socket.send('still open');
      socket.on('message', (data) => resolve(String(data)));
    });
    socket.close();
    expect(reply).toBe('echo:still open');
    const id = answer.headers['x-request-id'];
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(upgradeHeaders!['x-request-id']).toBe(id);
    expect(answer.headers['server-timing']).toMatch(/^gateway;dur=\d+, origin;dur=\d+$/);
    const line = await gateway.logFor((l) => l.id === id);
    expect(line).toMatchObject({ status: 101, originStatus: 101, route: '/ws', path: '/ws/room' });
  });

  it('names the request id on a refused upgrade', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${gateway.port}/nowhere`);
    socket.on('error', () => {});
    const refusal = await new Promise<http.IncomingMessage>((resolve) =>
      socket.on('unexpected-response', (req, res) => {
        res.resume();
        req.destroy();
        resolve(res);
      }),
    );
    expect(refusal.statusCode).toBe(404);
    expect(refusal.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
