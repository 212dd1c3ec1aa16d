// Bodies stream both ways: 200 MB up and down arrive intact (sha256), and the first
// bytes cross the gateway before the sender has sent the rest, which a buffering gateway
// could never do. Resets and disconnects propagate instead of turning into clean endings.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from './support/gateway.ts';
import { startOrigin, type Origin } from './support/origin.ts';

const MiB = 1024 * 1024;
const TOTAL = 200 * MiB;
const block = randomBytes(MiB);

let origin: Origin;
let gateway: Gateway;
let firstByteAtClient: () => void = () => {};
let uploadFirstBytes: () => void = () => {};
let upstreamClosed: (() => void) | undefined;

beforeAll(async () => {
  origin = await startOrigin(async (req, res) => {
    const url = req.url!;
    if (url === '/download') {
      const sent = createHash('sha256');
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': TOTAL });
      const first = block.subarray(0, 64 * 1024);
      sent.update(first);
      res.write(first);
      // Hold the rest until the client has seen bytes: only a streaming gateway gets here.
      await new Promise<void>((resolve) => (firstByteAtClient = resolve));
      let offset = first.length;
      while (offset < TOTAL) {
        const chunk = offset % MiB === 0 ? block : block.subarray(offset % MiB);
        const piece = chunk.subarray(0, Math.min(chunk.length, TOTAL - offset));
        sent.update(piece);
        offset += piece.length;
        if (!res.write(piece)) await new Promise((resolve) => res.once('drain', resolve));
      }
      downloadSentHash = sent.digest('hex');
      return res.end();
    }
    if (url === '/upload') {
      const received = createHash('sha256');
      let bytes = 0;
      for await (const chunk of req) {
        if (bytes === 0) uploadFirstBytes();
        bytes += (chunk as Buffer).length;
        received.update(chunk as Buffer);
      }
      res.setHeader('content-type', 'application/json');
      return res.end(JSON.stringify({ bytes, sha256: received.digest('hex') }));
    }
    if (url === '/reset') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': 10 * MiB });
      res.write(block);
      setTimeout(() => res.socket!.destroy(), 50);
      return;
    }
    if (url === '/endless') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.on('close', () => upstreamClosed?.());
      const timer = setInterval(() => res.write('tick\n'), 20);
      res.on('close', () => clearInterval(timer));
      return;
    }
  });
  gateway = await startGateway({ routes: [{ path: '/', origin: origin.url }] });
});
afterAll(async () => {
  await gateway?.stop();
  await origin?.close();
});

let downloadSentHash = '';

function get(path: string): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: gateway.port, path, agent: false }, resolve);
    req.on('error', reject);
  });
}

describe('streaming', () => {
  it('streams 200 MB down, first bytes before the origin sends the rest', async () => {
    const res = await get('/download');
    const got = createHash('sha256');
    let bytes = 0;
    for await (const chunk of res) {
      if (bytes === 0) firstByteAtClient();
      bytes += (chunk as Buffer).length;
      got.update(chunk as Buffer);
    }
    expect(bytes).toBe(TOTAL);
    expect(got.digest('hex')).toBe(downloadSentHash);
  });

  it('streams 200 MB up, first bytes at the origin before the client sends the rest', async () => {
    const reached = new Promise<void>((resolve) => (uploadFirstBytes = resolve));
    const sent = createHash('sha256');
    const response = new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: gateway.port, path: '/upload', method: 'POST', agent: false, headers: { 'content-length': TOTAL } }, resolve);
      req.on('error', reject);
      (async () => {
        const first = block.subarray(0, 64 * 1024);
        sent.update(first);
        req.write(first);
        await reached;
        let offset = first.length;
        while (offset < TOTAL) {
          const piece = block.subarray(offset % MiB, Math.min(MiB, offset % MiB + TOTAL - offset));
          sent.update(piece);
          offset += piece.length;
          if (!req.write(piece)) await new Promise((resolve) => req.once('drain', resolve));
        }
        req.end();
      })().catch(reject);
    });
    const res = await response;
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(Buffer.concat(chunks).toString())).toEqual({ bytes: TOTAL, sha256: sent.digest('hex') });
  });

  it('passes a mid-body reset on as a broken response, never a clean short one', async () => {
    const res = await get('/reset');
    let bytes = 0;
    const outcome = await new Promise<string>((resolve) => {
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => resolve(res.complete ? 'complete' : 'incomplete'));
      res.on('error', () => resolve('error'));
      res.on('aborted', () => resolve('error'));
    });
    expect(outcome).not.toBe('complete');
    expect(bytes).toBeLessThan(10 * MiB);
  });

  it('aborts the upstream response when the client goes away mid-body', async () => {
    const closed = new Promise<void>((resolve) => (upstreamClosed = resolve));
    const res = await get('/endless');
    await new Promise((resolve) => res.once('data', resolve));
    res.destroy();
    await closed; // times out (test fails) if the gateway kept reading
  });
});
