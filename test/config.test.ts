// Where routes come from and what a bad config does, through the real gateway in workerd.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from './support/gateway.ts';
import { request, type RawResponse } from './support/http.ts';
import { closedPort, startOrigin, type Origin } from './support/origin.ts';

const SECRET = 'sk_live_7c1f0e9d8b6a5f4e3d2c1b0a';

let origin: Origin;
/** answers with the Authorization it got in a header of its own, as a careless origin might */
let reflecting: Origin;
let deadPort: number;
const gateways: Gateway[] = [];

beforeAll(async () => {
  origin = await startOrigin();
  reflecting = await startOrigin((req, res) => {
    res.setHeader('x-seen-authorization', req.headers.authorization ?? '');
    res.end('ok');
  });
  deadPort = await closedPort();
});
afterAll(async () => {
  await Promise.all(gateways.map((gateway) => gateway.stop()));
  await Promise.all([origin?.close(), reflecting?.close()]);
});

async function gatewayWith(routes: unknown, bindings: Record<string, unknown> = {}): Promise<Gateway> {
  const gateway = await startGateway(routes, bindings);
  gateways.push(gateway);
  return gateway;
}

function expectNoSecret(res: RawResponse): void {
  expect(res.text).not.toContain(SECRET);
  expect(JSON.stringify(res.headers)).not.toContain(SECRET);
}

const authorized = (target: string) => ({
  path: '/api',
  origin: target,
  headers: { request: { set: { Authorization: 'Bearer ${API_TOKEN}' } } },
});

describe('a route setting Host on requests', () => {
  it('gets 500 naming the rule and pointing to preserveHost, rather than a rule that does nothing', async () => {
    const gateway = await gatewayWith({ routes: [{ path: '/', origin: origin.url, headers: { request: { set: { Host: 'intranet.corp' } } } }] });
    const before = origin.seen.length;
    const res = await request(gateway.url, '/x');
    expect(res.status).toBe(500);
    expect(res.json().error.problems).toEqual([expect.stringMatching(/^routes\[0\]\.headers\.request\.set\.Host: .*preserveHost/)]);
    expect(origin.seen.length).toBe(before);
  });
});

describe('an invalid config', () => {
  let gateway: Gateway;
  const problems = [
    'routes[1].origin: must be an absolute http(s) URL with no query or fragment',
    'routes[2].path: is required',
    'routes[2].stripprefix: unknown field (did you mean "stripPrefix"?)',
  ];

  beforeAll(async () => {
    gateway = await gatewayWith(
      {
        routes: [
          authorized(origin.url),
          { path: '/b', origin: `${origin.url}/?x=1` },
          { origin: origin.url, stripprefix: false },
          { path: '/', origin: origin.url },
        ],
      },
      { API_TOKEN: SECRET },
    );
  });

  it('answers every request with 500 listing the problems by JSON path', async () => {
    for (const [method, path] of [['GET', '/api/users'], ['POST', '/'], ['DELETE', '/b/1'], ['GET', '/api/../x']] as const) {
      const res = await request(gateway.url, path, { method, body: method === 'POST' ? 'payload' : undefined });
      expect(res.status, `${method} ${path}`).toBe(500);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      const { error } = res.json();
      expect(error.problems).toEqual(problems);
      expect(error.reason).toMatch(/config is invalid/);
      expectNoSecret(res);
    }
  });

  it('shows browsers a page listing the problems', async () => {
    const res = await request(gateway.url, '/api', { headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    for (const problem of problems) expect(res.text).toContain(`<li><code>${problem.replace(/"/g, '&#34;')}</code></li>`);
    expectNoSecret(res);
  });

  it('sends nothing to the origin', () => {
    expect(origin.seen).toEqual([]);
  });
});

describe('a ROUTES that is not JSON', () => {
  it('gets 500 saying where, without quoting the text', async () => {
    const gateway = await gatewayWith(`{"routes": [], "note": ${SECRET}}`);
    const res = await request(gateway.url, '/anything');
    expect(res.status).toBe(500);
    expect(res.json().error.problems).toEqual([expect.stringMatching(/^\(root\): not valid JSON/)]);
    expectNoSecret(res);
  });
});

describe('an unbound ${NAME}', () => {
  it('is a config error naming the field and the binding', async () => {
    const gateway = await gatewayWith({ routes: [authorized(origin.url)] });
    const res = await request(gateway.url, '/api/x');
    expect(res.status).toBe(500);
    expect(res.json().error.problems).toEqual([
      'routes[0].headers.request.set.Authorization: ${API_TOKEN} has no binding named API_TOKEN (add a var or `wrangler secret put API_TOKEN`)',
    ]);
    expect(origin.seen).toEqual([]);
  });
});

describe('a config with shape errors and an unbound ${NAME}', () => {
  it('gets 500 listing both, in one pass', async () => {
    const gateway = await gatewayWith({
      routes: [{ path: '/a', origin: origin.url }, { path: '/b', origin: 'origin.example' }, { path: '/c', origin: origin.url, timeout: -1 }, authorized(origin.url)],
    });
    const res = await request(gateway.url, '/a/x');
    expect(res.status).toBe(500);
    expect(res.json().error.problems).toEqual([
      'routes[1].origin: must be an absolute http(s) URL with no query or fragment',
      'routes[2].timeout: must be at least 1 ms',
      'routes[3].headers.request.set.Authorization: ${API_TOKEN} has no binding named API_TOKEN (add a var or `wrangler secret put API_TOKEN`)',
    ]);
    expect(origin.seen).toEqual([]);
  });
});

// workerd gets a string ROUTES as a text binding and an object as a JSON binding.
describe.each([
  ['a JSON string', (routes: unknown) => JSON.stringify(routes)],
  ['an object', (routes: unknown) => routes],
])('ROUTES as %s with the secret bound', (_form, encode) => {
  let gateway: Gateway;

  beforeAll(async () => {
    gateway = await gatewayWith(
      encode({
        id: 'edge-test',
        routes: [authorized(reflecting.url), { path: '/down', origin: `http://127.0.0.1:${deadPort}`, headers: { request: { set: { 'X-Key': '${API_TOKEN}' } } } }],
      }),
      { API_TOKEN: SECRET },
    );
  });

  it('proxies with the secret injected upstream', async () => {
    const before = reflecting.seen.length;
    const res = await request(gateway.url, '/api/items?page=2');
    expect(res.status).toBe(200);
    expect(res.text).toBe('ok');
    const seen = reflecting.seen.slice(before);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url).toBe('/items?page=2');
    expect(seen[0]!.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(seen[0]!.headers.via).toMatch(/edge-test/);
  });

  it('never lets the secret out, even when the origin reflects it', async () => {
    const res = await request(gateway.url, '/api/items');
    expect(res.status).toBe(200);
    expectNoSecret(res);
  });

  it('never puts the secret into error responses', async () => {
    for (const path of ['/down/x', '/nowhere', '/api/%2e%2e/x']) {
      for (const accept of ['application/json', 'text/html']) {
        const res = await request(gateway.url, path, { headers: { accept } });
        expect(res.status, path).toBeGreaterThanOrEqual(400);
        expectNoSecret(res);
      }
    }
    const down = await request(gateway.url, '/down/x');
    expect(down.status).toBe(502);
    expect(down.json().error.route).toBe('/down');
  });
});

describe('without ROUTES', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await gatewayWith(undefined);
  });

  it('uses the bundled routes.json', async () => {
    const res = await request(gateway.url, '/no-such-route');
    expect(res.status).toBe(404);
    expect(res.json().error).toMatchObject({ status: 404, route: null });
  });

  // A CDN-Loop naming the bundled id is refused after matching, so the route shows
  // without any traffic leaving 127.0.0.1.
  it('maps /github with the bundled id', async () => {
    const res = await request(gateway.url, '/github/zen', { headers: { 'cdn-loop': 'switchyard' } });
    expect(res.status).toBe(508);
    expect(res.json().error.route).toBe('/github');
    const other = await request(gateway.url, '/httpbin/get', { headers: { 'cdn-loop': 'switchyard' } });
    expect(other.json().error.route).toBe('/httpbin');
  });
});
