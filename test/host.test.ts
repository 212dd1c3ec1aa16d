// Hostile Host headers, request targets and broken uploads, sent on raw sockets (Node's http
// client will not send them) to the gateway in bare workerd as `npm run serve` runs it, with and
// without local files (the ASSETS binding).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startWorkerd, type RunningWorkerd } from '../scripts/workerd.ts';
import { startGateway } from './support/gateway.ts';
import { rawRequest, type RawAnswer } from './support/raw.ts';
import { closedPort, startOrigin, type Origin } from './support/origin.ts';
import { seeded } from './support/seeded.ts';

const GATEWAY_FAILED = 'the gateway failed to handle this request';
const INDEX = '<h1>front end</h1>';

let api: Origin;
/** What each upload to `uploads` came to: complete, or broken off. */
const uploadsSeen: { complete: boolean; bytes: number }[] = [];
let uploads: Origin;
let bare: RunningWorkerd;
let withFiles: RunningWorkerd;
let dir: string;

beforeAll(async () => {
  api = await startOrigin();
  uploads = await startOrigin((req: http.IncomingMessage, res: http.ServerResponse) => {
    const entry = { complete: false, bytes: 0 };
    uploadsSeen.push(entry);
    req.on('data', (chunk: Buffer) => (entry.bytes += chunk.length));
    req.on('end', () => {
      entry.complete = true;
      res.end(`got ${entry.bytes}`);
    });
  });
  dir = mkdtempSync(join(tmpdir(), 'switchyard-host-'));
  writeFileSync(join(dir, 'index.html'), INDEX);
  const routes = {
    routes: [
      { path: '/api', origin: `${api.url}/base` },
      { path: '/h', host: 'good.example', origin: `${api.url}/hb` },
      { path: '/upload', origin: uploads.url },
      { path: '/limited', origin: uploads.url, access: { maxBodyBytes: 1000 } },
      { path: '/down', origin: `http://127.0.0.1:${await closedPort()}` },
    ],
  };
  [bare, withFiles] = await Promise.all([startGateway(routes), startWorkerd({ script: inject('bundle'), assets: dir, bindings: { ROUTES: routes } })]);
});
afterAll(async () => {
  await Promise.all([bare?.stop(), withFiles?.stop()]);
  await Promise.all([api?.close(), uploads?.close()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const get = (gateway: RunningWorkerd, target: string, host: string | string[], extra = '') =>
  rawRequest(gateway.port, `GET ${target} HTTP/1.1\r\n${[host].flat().map((value) => `Host: ${value}`).join('\r\n')}\r\nAccept: application/json${extra}`);

/** What reached the origin for `run`. */
async function reaching(run: () => Promise<RawAnswer>): Promise<{ answer: RawAnswer; seen: Origin['seen'] }> {
  const before = api.seen.length;
  const answer = await run();
  return { answer, seen: api.seen.slice(before) };
}

describe.each([
  ['without local files', () => bare],
  ['with local files', () => withFiles],
])('hostile Host headers, %s', (_, gateway) => {
  it('never let the Host choose the route: a "/" or "?" in it is refused before routing', async () => {
    expect((await get(gateway(), '/public/x', 'localhost')).status).toBe(404);
    for (const host of ['x/api', 'x/api?', 'x/api#']) {
      const { answer, seen } = await reaching(() => get(gateway(), '/public/x', host));
      expect(answer.status).toBe(400);
      expect(answer.json().error.reason).toMatch(/^invalid Host header: it holds "[/?#]"/);
      expect(seen).toEqual([]);
    }
  });

  it('answer 400, not the gateway-failure 502, to a Host that is no host', async () => {
    const cases: [string | string[], RegExp][] = [
      ['a b', /a space/],
      [['a', 'b'], /more than one host/],
      ['a, b', /more than one host/],
      ['[::1', /no closing/],
      ['good.example:99999', /port/],
      ['999.1.1.1', /ends in a number/],
    ];
    for (const [host, reason] of cases) {
      const answer = await get(gateway(), '/nothing', host);
      expect(answer.status, String(host)).toBe(400);
      expect(answer.json().error.reason).toMatch(reason);
    }
  });

  it('send only a checked Host on in X-Forwarded-Host', async () => {
    for (const host of ['good.example, evil.example', 'good example', 'good.example/x']) {
      const { answer, seen } = await reaching(() => get(gateway(), '/h/x', host));
      expect(answer.status).toBe(400);
      expect(seen).toEqual([]);
    }
    const { answer, seen } = await reaching(() => get(gateway(), '/h/x?q', 'Good.Example:8787'));
    expect(answer.status).toBe(200);
    expect(seen.map((request) => [request.url, request.headers['x-forwarded-host']])).toEqual([['/hb/x?q', 'Good.Example:8787']]);
  });

  it('route an absolute-form target by its path and the Host, never its authority', async () => {
    const { answer, seen } = await reaching(() => get(gateway(), 'http://evil.example/api/x', 'localhost:8787'));
    expect(answer.status).toBe(200);
    expect(seen.map((request) => [request.url, request.headers['x-forwarded-host']])).toEqual([['/base/x', 'localhost:8787']]);
  });

  it('answer HTTP/1.0 with a Host as before', async () => {
    const answer = await rawRequest(gateway().port, 'GET /api/old HTTP/1.0\r\nHost: localhost');
    expect(answer.status).toBe(200);
    expect(answer.json().url).toBe('/base/old');
  });

  it('answer paths starting with // with 404, never as a host and never with a file', async () => {
    for (const target of ['//;', '//%00/x', '//x/index.html', '//evil.example', '//localhost/', '//%2e%2e/index.html']) {
      const answer = await get(gateway(), target, 'localhost');
      expect([400, 404], target).toContain(answer.status);
      expect(answer.text).not.toContain(INDEX);
      expect(answer.headers.location).toBeUndefined();
    }
  });

  it('survive a seeded batch of malformed Hosts and paths: no 5xx, no bad Host reaching an origin, no route chosen by the Host', async () => {
    const random = seeded(0x27);
    const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
    const hosts = ['localhost', 'localhost:8787', 'good.example', 'api.example.com', '127.0.0.1', '[::1]:80', 'x'];
    const hostile = [' ', '/', '/api', '/h', '?', '#', '@', '\\', ',', ', evil.example', '[', ']', ':', ':99999', ':', '%00', '%2f', '\x01', '\x7f', '\xc3\xa9', '..', 'xn--zz', '.999', '\t', ''];
    const paths = ['/api/x', '/api', '/h/x', '/public/x', '/', '/index.html', '//;', '//%00/x', '//x/index.html', '//evil.example', '/%00', '/api/%2e%2e/x', '/api//evil.example/x', '/%zz', '/\xc3\xa9', '/api/x?y', '/api/%C0%AE'];
    const tails = ['', '', ';', '//', '%00', '?', '%2f', '..', '\\', '/index.html', '#x'];
    const sent: { host: string; target: string }[] = [];
    const before = api.seen.length;
    for (let i = 0; i < 300; i++) {
      let host = pick(hosts);
      for (let n = Math.floor(random() * 3); n > 0; n--) {
        const at = Math.floor(random() * (host.length + 1));
        host = host.slice(0, at) + pick(hostile) + host.slice(at);
      }
      const target = pick(paths) + pick(tails);
      sent.push({ host, target });
      const answer = await get(gateway(), target, host, `\r\nX-Case: ${i}`);
      const what = JSON.stringify({ host, target, status: answer.status, text: answer.text.slice(0, 200) });
      expect(answer.status, what).toBeGreaterThan(0);
      expect(answer.status, what).toBeLessThan(500);
      expect(answer.text, what).not.toContain(GATEWAY_FAILED);
      // The HTTP parser trims the value; what is left with these characters is no host.
      if (/[\s,/?#@\\\x00-\x1f\x7f-\xff]/.test(host.replace(/^[ \t]+|[ \t]+$/g, ''))) expect(answer.status, what).toBe(400);
      if (target.startsWith('//')) {
        expect(answer.text, what).not.toContain(INDEX);
        expect(answer.headers.location, what).toBeUndefined();
      }
    }
    const reached = api.seen.slice(before);
    expect(reached.length).toBeGreaterThan(10);
    for (const request of reached) {
      const { host, target } = sent[Number(request.headers['x-case'])]!;
      const what = JSON.stringify({ host, target, url: request.url, forwardedHost: request.headers['x-forwarded-host'] });
      expect(request.headers['x-forwarded-host'], what).toBe(host.trim());
      expect(request.headers['x-forwarded-host'], what).toMatch(/^[A-Za-z0-9._~:[\]!$&'()*+;=%-]+$/);
      // The route is the target's: /api goes to /base, /h (on good.example only) to /hb.
      expect(target, what).toMatch(/^\/(api|h)(\/|$|\?)/);
      expect(request.url.startsWith(target.startsWith('/api') ? '/base' : '/hb'), what).toBe(true);
    }
  });
});

describe('a request body the client breaks off or malforms', () => {
  const post = (target: string, framing: string, body: string) =>
    rawRequest(bare.port, `POST ${target} HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n${framing}`, { body, end: 'half' });
  const settled = () => new Promise((resolve) => setTimeout(resolve, 200));

  it('is named in the 502 where the gateway reads the body itself (no Content-Length, on a route with a size limit)', async () => {
    for (const body of ['5\r\nhello\r\n', '5\r\nhello\r\nzz\r\n', '5\r\nhello\r\n10\r\nabc']) {
      const before = uploadsSeen.length;
      const answer = await post('/limited/x', 'Transfer-Encoding: chunked', body);
      expect(answer.status).toBe(502);
      expect(answer.json().error).toMatchObject({ route: '/limited', reason: "the client's request body was cut off or malformed, so the upstream request was abandoned" });
      // The origin saw an upload start, never a complete (truncated) one.
      await settled();
      expect(uploadsSeen.slice(before).filter((upload) => upload.complete)).toEqual([]);
    }
  });

  it('is named as a possible cause of any 502 for a request with a body, since the runtime reports it as a lost connection', async () => {
    const before = uploadsSeen.length;
    const short = await post('/upload/x', 'Content-Length: 100', 'x'.repeat(10));
    expect(short.status).toBe(502);
    expect(short.json().error.reason).toBe(`upstream ${uploads.url} could not be reached or sent no valid HTTP response, or the client's request body was cut off or malformed`);
    const chunked = await post('/upload/x', 'Transfer-Encoding: chunked', '5\r\nhello\r\nzz\r\n');
    expect(chunked.status).toBe(502);
    expect(chunked.json().error.reason).toMatch(/or the client's request body was cut off or malformed$/);
    await settled();
    expect(uploadsSeen.slice(before).filter((upload) => upload.complete)).toEqual([]);

    const down = await post('/down/x', 'Content-Length: 3', 'abc');
    expect(down.json().error.reason).toMatch(/could not be reached or sent no valid HTTP response, or the client's request body/);
    const downWithoutBody = await get(bare, '/down/x', 'localhost');
    expect(downWithoutBody.status).toBe(502);
    expect(downWithoutBody.json().error.reason).not.toMatch(/body/);
  });

  it('still forwards a whole body', async () => {
    expect((await post('/limited/x', 'Transfer-Encoding: chunked', '5\r\nhello\r\n0\r\n\r\n')).text).toBe('got 5');
    expect((await post('/upload/x', 'Content-Length: 5', 'hello')).text).toBe('got 5');
  });
});

