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
});
