// Origin pools through the real gateway in workerd, against origins on 127.0.0.1 that fail
// in scripted ways (refuse, drop the connection, answer 503, hang, die mid-body) and count
// what reaches them. One gateway process, so one isolate holds every pool's state.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from './support/gateway.ts';
import { rawRequest } from './support/raw.ts';
import { request, type RawResponse } from './support/http.ts';
import { closedPort, readBody, startOrigin, type Origin } from './support/origin.ts';

type Mode = 'ok' | '503' | 'drop' | 'hang' | 'midbody';

/** An origin whose behaviour a test switches; it answers with its name and what it received. */
interface Scripted extends Origin {
  name: string;
  mode: Mode;
}

const origins: Scripted[] = [];
async function scripted(name: string, mode: Mode = 'ok'): Promise<Scripted> {
  let self!: Scripted;
  const origin = await startOrigin(async (req, res) => {
    switch (self.mode) {
      case 'drop':
        return req.socket.destroy();
      case 'hang':
        return;
      case 'midbody':
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('partial ');
        return setTimeout(() => res.destroy(), 50);
    }
    const body = await readBody(req);
    const status = self.mode === '503' ? 503 : 200;
    res.writeHead(status, { 'content-type': 'application/json', 'x-served-by': name });
    res.end(JSON.stringify({ name, method: req.method, url: req.url, length: body.length, sha: hash(body), xff: req.headers['x-forwarded-for'] ?? null }));
  });
  self = Object.assign(origin, { name, mode });
  origins.push(self);
  return self;
}

/** Bodies as the origins read them, by request id, to compare byte for byte. */
const received = new Map<string, Buffer>();
const hash = (body: Buffer) => {
  const id = `${received.size}`;
  received.set(id, body);
  return id;
};

let gateway: Gateway;
let down: string;
const o: Record<string, Scripted> = {};

beforeAll(async () => {
  down = `http://127.0.0.1:${await closedPort()}`;
  for (const name of ['rrA', 'rrB', 'rndA', 'rndB', 'ipA', 'ipB', 'ipC', 'p1', 'p2', 'spare', 'flaky', 'steady', 'postB', 'bigA', 'bigB', 'ejA', 'ejB', 'slow', 'quick', 'h1', 'h2', 'h3', 'dies', 'after', 'busy', 'idle', 'exA', 'exB', 'upA', 'upB', 'keepA']) {
    o[name] = await scripted(name);
  }
  o.flaky!.mode = '503';
  o.bigA!.mode = '503';
  o.slow!.mode = 'hang';
  o.h1!.mode = 'hang';
  o.h2!.mode = 'hang';
  o.h3!.mode = 'hang';
  o.dies!.mode = 'midbody';
  gateway = await startGateway({
    routes: [
      { path: '/rr', origins: [{ url: o.rrA!.url, weight: 3 }, o.rrB!.url], balance: 'round_robin' },
      { path: '/random', origins: [{ url: o.rndA!.url, weight: 3 }, o.rndB!.url], balance: 'random' },
      { path: '/iphash', origins: [o.ipA!.url, o.ipB!.url, o.ipC!.url], balance: 'ip_hash', retry: {}, health: { failures: 1, cooldown: 1 } },
      { path: '/backup', origins: [{ url: o.spare!.url, backup: true }, o.p1!.url, o.p2!.url], balance: 'round_robin', health: { failures: 1, cooldown: 60 } },
      { path: '/retry', origins: [o.flaky!.url, o.steady!.url], retry: {} },
      { path: '/post', origins: [down, o.postB!.url], retry: {} },
      { path: '/big', origins: [o.bigA!.url, o.bigB!.url], retry: { bodyBytes: 1024 } },
      { path: '/refused-big', origins: [down, o.bigB!.url], retry: { bodyBytes: 1024 } },
      { path: '/eject', origins: [o.ejA!.url, o.ejB!.url], balance: 'round_robin', retry: {}, health: { failures: 2, window: 10, cooldown: 1 } },
      { path: '/hang-eject', origins: [o.slow!.url, o.quick!.url], timeout: 5000, retry: { attemptTimeout: 300 }, health: { failures: 1, cooldown: 60 } },
      { path: '/all-hang', origins: [o.h1!.url, o.h2!.url], timeout: 1000, retry: { attemptTimeout: 800 } },
      { path: '/whole-timeout', origins: [o.h3!.url, o.after!.url], timeout: 400, retry: {} },
      { path: '/midbody', origins: [o.dies!.url, o.after!.url], retry: {} },
      { path: '/least', origins: [o.busy!.url, o.idle!.url], balance: 'least_busy', timeout: 5000 },
      { path: '/exhausted', origins: [down, `${down}/other`], retry: { attempts: 3 } },
      { path: '/exhausted-503', origins: [o.exA!.url, o.exB!.url], retry: {} },
      { path: '/upload-health', origins: [o.upA!.url, { url: o.upB!.url, backup: true }], health: { failures: 1, cooldown: 60 } },
      { path: '/slow-upload', origins: [o.keepA!.url, o.upB!.url], retry: {}, timeout: 1000 },
    ],
  });
});
afterAll(async () => {
  await gateway?.stop();
  await Promise.all(origins.map((origin) => origin.close()));
});

const get = (path: string, localAddress?: string) => request(gateway.url, path, { localAddress });
const servedBy = (res: RawResponse) => res.json().name as string;

/** `n` requests, `parallel` at a time; how many each origin served. */
async function spread(path: string, n: number, parallel = 8): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < n) {
        next++;
        const res = await get(path);
        expect(res.status).toBe(200);
        const name = servedBy(res);
        counts[name] = (counts[name] ?? 0) + 1;
      }
    }),
  );
  return counts;
}

/**
 * An origin's share of the requests within 5 points of its weight's share (75% ± 5%). Random
 * picks of 2,000 spread by ~1 point (one standard deviation), so this fails by chance about
 * once in five million runs; 5% of the smaller share itself (25% ± 1.25) would fail one in five.
 */
const within5Percent = (count: number, total: number, share: number) => expect(Math.abs(count / total - share)).toBeLessThanOrEqual(0.05);

describe('balancing', () => {
  it('round robin gives each origin its weight over 2,000 requests', async () => {
    const counts = await spread('/rr/x', 2000);
    within5Percent(counts.rrA!, 2000, 0.75);
    within5Percent(counts.rrB!, 2000, 0.25);
    // Smooth round robin is exact over whole rounds.
    expect(counts).toEqual({ rrA: 1500, rrB: 500 });
  });

  it('random gives each origin its weight over 2,000 requests', async () => {
    const counts = await spread('/random/x', 2000);
    within5Percent(counts.rndA!, 2000, 0.75);
    within5Percent(counts.rndB!, 2000, 0.25);
  });

  it('random picks independently: unlike round robin, the lighter origin sometimes serves twice in a row', async () => {
    let previous = '';
    let twice = 0;
    for (let i = 0; i < 200; i++) {
      const name = servedBy(await get('/random/x'));
      if (name === 'rndB' && previous === 'rndB') twice++;
      previous = name;
    }
    expect(twice).toBeGreaterThan(0);
  });

  it('least_busy sends requests past an origin that is still busy with one', async () => {
    o.busy!.mode = 'hang';
    o.idle!.mode = 'hang';
    // An idle pool takes turns: the first request goes to busy and stays there.
    const held = get('/least/first').catch(() => null);
    await expect.poll(() => o.busy!.seen.length + o.idle!.seen.length).toBe(1);
    const first = o.busy!.seen.length ? o.busy! : o.idle!;
    const other = first === o.busy ? o.idle! : o.busy!;
    other.mode = 'ok';
    for (let i = 0; i < 5; i++) expect(servedBy(await get('/least/next'))).toBe(other.name);
    expect(first.seen).toHaveLength(1);
    first.server.closeAllConnections();
    await held;
  });
});

describe('ip_hash', () => {
  const clients = Array.from({ length: 12 }, (_, i) => `127.0.0.${i + 2}`);

  it('sees each client by its own address, and keeps it on one origin', async () => {
    const first = new Map<string, string>();
    for (const client of clients) {
      const res = await get('/iphash/x', client);
      expect(res.json().xff).toBe(client);
      first.set(client, servedBy(res));
    }
    // Twelve clients over three equal origins: more than one origin serves them.
    expect(new Set(first.values()).size).toBeGreaterThan(1);
    for (let round = 0; round < 3; round++) {
      for (const client of clients) expect(servedBy(await get('/iphash/x', client))).toBe(first.get(client));
    }
  });

  it('moves only the clients of an ejected origin, and brings them back after the cooldown', async () => {
    const home = new Map<string, string>();
    for (const client of clients) home.set(client, servedBy(await get('/iphash/x', client)));
    const target = home.get(clients[0]!)!;
    const failing = o[target]!;
    failing.mode = '503';
    // Its first request fails there (ejecting it) and is retried elsewhere.
    const moved = await get('/iphash/x', clients[0]);
    expect(moved.status).toBe(200);
    expect(servedBy(moved)).not.toBe(target);
    const seenWhileOut = failing.seen.length;
    for (const client of clients) {
      const name = servedBy(await get('/iphash/x', client));
      if (home.get(client) === target) expect(name).not.toBe(target);
      else expect(name).toBe(home.get(client));
    }
    expect(failing.seen.length).toBe(seenWhileOut);

    failing.mode = 'ok';
    await new Promise((resolve) => setTimeout(resolve, 1100));
    for (const client of clients) expect(servedBy(await get('/iphash/x', client))).toBe(home.get(client));
  });
});

describe('backup', () => {
  it('gets requests only once every primary is out', async () => {
    for (let i = 0; i < 4; i++) expect((await get('/backup/x')).status).toBe(200);
    expect(o.spare!.seen).toHaveLength(0);
    o.p1!.mode = 'drop';
    for (let i = 0; i < 4; i++) expect(servedBy(await get('/backup/x'))).toBe('p2');
    expect(o.spare!.seen).toHaveLength(0);
    o.p2!.mode = 'drop';
    // p2 fails this one (and is ejected); p1 is already out: the backup serves it.
    expect(servedBy(await get('/backup/x'))).toBe('spare');
    const p1Seen = o.p1!.seen.length;
    const p2Seen = o.p2!.seen.length;
    for (let i = 0; i < 4; i++) expect(servedBy(await get('/backup/x'))).toBe('spare');
    expect([o.p1!.seen.length, o.p2!.seen.length]).toEqual([p1Seen, p2Seen]);
  });
});

describe('retry', () => {
  it('retries a GET answered 503 on the next origin', async () => {
    const res = await get('/retry/x');
    expect(res.status).toBe(200);
    expect(servedBy(res)).toBe('steady');
    expect(o.flaky!.seen.at(-1)!.url).toBe('/x');
  });

  it('does not retry a POST answered 503: the client gets the origin\'s answer', async () => {
    const before = o.steady!.seen.length;
    const res = await request(gateway.url, '/retry/x', { method: 'POST', body: 'order #1' });
    expect(res.status).toBe(503);
    expect(servedBy(res)).toBe('flaky');
    expect(o.steady!.seen.length).toBe(before);
  });

  it('retries a POST whose connection was refused, its body byte-identical at the next origin', async () => {
    const body = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 256));
    const res = await request(gateway.url, '/post/x', { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
    expect(res.status).toBe(200);
    expect(servedBy(res)).toBe('postB');
    expect(received.get(res.json().sha)!.equals(body)).toBe(true);
  });

  it('replays a body sent without Content-Length too', async () => {
    const body = Buffer.from('chunked upload '.repeat(100));
    const res = await chunkedPost('/post/x', [body.subarray(0, 700), body.subarray(700)]);
    expect(res.status).toBe(200);
    expect(servedBy(res)).toBe('postB');
    expect(received.get(res.json().sha)!.equals(body)).toBe(true);
  });

  it('streams a body over bodyBytes whole to the first origin and does not retry it', async () => {
    const body = Buffer.alloc(4096, 'b');
    const beforeB = o.bigB!.seen.length;
    const declared = await request(gateway.url, '/big/x', { method: 'PUT', body });
    expect(declared.status).toBe(503);
    expect(received.get(declared.json().sha)!.equals(body)).toBe(true);
    const chunked = await chunkedPost('/big/x', [body.subarray(0, 1000), body.subarray(1000, 2000), body.subarray(2000)], 'PUT');
    expect(chunked.status).toBe(503);
    expect(received.get(chunked.json().sha)!.equals(body)).toBe(true);
    expect(o.bigB!.seen.length).toBe(beforeB);
  });

  it('does not retry a body over bodyBytes even after a refused connection', async () => {
    const before = o.bigB!.seen.length;
    const res = await request(gateway.url, '/refused-big/x', { method: 'POST', body: Buffer.alloc(2048, 'c') });
    expect(res.status).toBe(502);
    expect(o.bigB!.seen.length).toBe(before);
  });

  it('never retries once the headers went to the client: the body ends short, the other origin sees nothing', async () => {
    const res = await rawGet('/midbody/x');
    expect(res.status).toBe(200);
    expect(res.body).toBe('partial ');
    expect(res.complete).toBe(false);
    expect(o.after!.seen.filter((seen) => seen.url === '/x')).toHaveLength(0);
  });
});

describe('passive health', () => {
  it('ejects an origin after `failures` failures and sends it nothing until the cooldown ends', async () => {
    o.ejA!.mode = '503';
    // Round robin: every other request starts at ejA, fails there and is retried on ejB.
    for (let i = 0; i < 4; i++) {
      const res = await get('/eject/x');
      expect(res.status).toBe(200);
      expect(servedBy(res)).toBe('ejB');
    }
    expect(o.ejA!.seen).toHaveLength(2);
    o.ejA!.mode = 'ok';
    for (let i = 0; i < 6; i++) expect(servedBy(await get('/eject/x'))).toBe('ejB');
    expect(o.ejA!.seen).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    // One request probes it; its success brings it back into the rotation.
    const after = await spread('/eject/x', 6, 1);
    expect(after).toEqual({ ejA: 3, ejB: 3 });
  });

  it('counts timeouts as failures: a hanging origin is ejected and no request waits for it again', async () => {
    const first = await get('/hang-eject/x');
    expect(first.status).toBe(200);
    expect(servedBy(first)).toBe('quick');
    expect(o.slow!.seen).toHaveLength(1);
    // Nothing more reaches it, so nothing waits the 300 ms for it.
    for (let i = 0; i < 4; i++) expect(servedBy(await get('/hang-eject/x'))).toBe('quick');
    expect(o.slow!.seen).toHaveLength(1);
  });
});

describe('the route timeout bounds the whole request', () => {
  it('gives each attempt at most attemptTimeout and the last what remains', async () => {
    const started = Date.now();
    const res = await get('/all-hang/x');
    const took = Date.now() - started;
    expect(res.status).toBe(504);
    expect(o.h1!.seen).toHaveLength(1);
    expect(o.h2!.seen).toHaveLength(1);
    // 800 ms for the first, the 200 left for the second (not 800 more: 1,600 in all).
    expect(took).toBeGreaterThanOrEqual(950);
    expect(took).toBeLessThan(1500);
    expect(res.json().error).toMatchObject({ route: '/all-hang', reason: expect.stringMatching(/2 of 2 origins tried/) });
  });

  it('without attemptTimeout, a timed-out attempt leaves no time for another', async () => {
    const before = o.after!.seen.length;
    const started = Date.now();
    const res = await get('/whole-timeout/x');
    expect(res.status).toBe(504);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(o.h3!.seen).toHaveLength(1);
    expect(o.after!.seen.length).toBe(before);
  });
});

describe('a client\'s own broken upload', () => {
  /** A POST announcing 100 bytes that sends 10; `half`: then closes its side. */
  const brokenPost = (path: string, end?: 'half') =>
    rawRequest(gateway.port, `POST ${path} HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\nContent-Length: 100`, { body: 'x'.repeat(10), ...(end && { end }) });

  it('never counts against the origin\'s health', async () => {
    for (let i = 0; i < 3; i++) {
      const answer = await brokenPost('/upload-health/x', 'half');
      expect(answer.status).toBe(502);
      expect(answer.json().error.reason).toMatch(/or the client's request body was cut off or malformed/);
    }
    const res = await get('/upload-health/y');
    expect(servedBy(res)).toBe('upA');
    expect(o.upB!.seen).toHaveLength(0);
  });

  it('that stalls, while the gateway keeps it to replay it, ends at the route timeout with 408', async () => {
    const started = Date.now();
    const answer = await brokenPost('/slow-upload/x');
    expect(answer.status).toBe(408);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(answer.json().error.reason).toBe("the request body did not arrive within the route's timeout (1000 ms)");
    expect(o.keepA!.seen).toHaveLength(0);
  });
});

describe('when every origin fails', () => {
  it('answers 502 naming the route and how many origins were tried, never which', async () => {
    const res = await request(gateway.url, '/exhausted/x', { headers: { accept: 'application/json' } });
    expect(res.status).toBe(502);
    const error = res.json().error;
    expect(error.route).toBe('/exhausted');
    expect(error.reason).toBe('no origin answered: 2 of 2 origins tried in 4 attempts; the last could not be reached or sent no valid HTTP response');
    expect(JSON.stringify(res.headers) + res.text).not.toContain(down.slice(7));
  });

  it('passes the last origin\'s own answer on when it is a retried status', async () => {
    o.exA!.mode = '503';
    o.exB!.mode = '503';
    const res = await get('/exhausted-503/x');
    expect(res.status).toBe(503);
    expect(o.exA!.seen.length + o.exB!.seen.length).toBe(3);
  });

  it('names no origin in any response header', async () => {
    const res = await get('/retry/x');
    const origins = [o.flaky!, o.steady!].map((origin) => `127.0.0.1:${origin.port}`);
    for (const [name, value] of Object.entries(res.headers)) {
      if (name === 'x-served-by') continue;
      for (const origin of origins) expect(String(value)).not.toContain(origin);
    }
  });
});

/** A POST (or `method`) whose body goes in chunks, with no Content-Length. */
function chunkedPost(path: string, chunks: Buffer[], method = 'POST'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const url = new URL(gateway.url);
    const req = http.request({ host: url.hostname, port: url.port, path, method, agent: false, headers: { 'transfer-encoding': 'chunked' } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (chunk: Buffer) => parts.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(parts);
        resolve({ status: res.statusCode!, headers: res.headers, body, text: body.toString(), json: () => JSON.parse(body.toString()) });
      });
    });
    req.on('error', reject);
    let i = 0;
    const send = () => {
      if (i === chunks.length) return void req.end();
      req.write(chunks[i++]);
      setTimeout(send, 20);
    };
    send();
  });
}

/** A GET that reports what arrived even when the response is cut off. */
function rawGet(path: string): Promise<{ status: number; body: string; complete: boolean }> {
  return new Promise((resolve, reject) => {
    const url = new URL(gateway.url);
    const req = http.request({ host: url.hostname, port: url.port, path, agent: false }, (res) => {
      let body = '';
      const done = () => resolve({ status: res.statusCode!, body, complete: res.complete });
      res.on('data', (chunk: Buffer) => (body += chunk));
      res.on('error', done);
      res.on('aborted', done);
      res.on('end', done);
      res.on('close', done);
    });
    req.on('error', reject);
    req.end();
  });
}
