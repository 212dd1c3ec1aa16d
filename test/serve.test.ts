// `npm run serve`: several workerd processes on one port, proxying to a real origin.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { localBindings, prettyLine, serve, type Served } from '../scripts/serve.ts';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { assetsDirectory, ROOT, startWorkerd, workerdConfig } from '../scripts/workerd.ts';
import { request } from './support/http.ts';
import { startOrigin, type Origin } from './support/origin.ts';

let origin: Origin;

beforeAll(async () => {
  origin = await startOrigin();
});
afterAll(() => origin?.close());

describe('serve()', () => {
  let served: Served;
  afterAll(() => served?.stop());

  it('proxies through every process on one port and replaces a process that dies', async () => {
    served = await serve({
      port: 0,
      processes: 2,
      logFormat: 'discard',
      bundle: inject('bundle'),
      bindings: { ROUTES: { routes: [{ path: '/api', origin: `${origin.url}/v1` }] } },
    });
    const first = served.pids();
    expect(first).toHaveLength(2);

    // agent: false opens a fresh connection each time, so the kernel picks a process each time.
    for (let i = 0; i < 6; i++) {
      const res = await request(served.url, `/api/items?i=${i}`);
      expect(res.status).toBe(200);
      expect(res.json().url).toBe(`/v1/items?i=${i}`);
    }

    process.kill(first[0]!, 'SIGKILL');
    // Connections queued at a process when it dies die with it; once it is gone, the
    // survivor answers everything while the dead one is replaced.
    await expect.poll(() => served.pids(), { timeout: 10_000 }).not.toContain(first[0]);
    for (let i = 0; i < 4; i++) expect((await request(served.url, '/api/still')).status).toBe(200);
    await expect.poll(() => served.pids().length, { timeout: 10_000 }).toBe(2);
    expect(served.pids()).not.toContain(first[0]);
    expect((await request(served.url, '/api/again')).json().url).toBe('/v1/again');
  });

  it('refuses a port a serve already listens on, rather than sharing its connections', async () => {
    await expect(serve({ port: served.port, processes: 1, bundle: inject('bundle'), bindings: { ROUTES: { routes: [] } } })).rejects.toThrow(/EADDRINUSE/);
    expect((await request(served.url, '/api/still-mine')).json().url).toBe('/v1/still-mine');
  });

  it('stops every process, frees the port and deletes its workerd config', async () => {
    const { port } = served;
    const config = configOf(served.pids()[0]!);
    expect(existsSync(config)).toBe(true);
    await served.stop();
    expect(served.pids()).toHaveLength(0);
    expect(existsSync(dirname(config))).toBe(false);
    await expect(request(`http://127.0.0.1:${port}`, '/api/x')).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('the workerd config', () => {
  it('loads the WebAssembly the bundle imports, not a stale file an earlier build left beside it', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'switchyard-stale-'));
    cpSync(dirname(inject('bundle')), folder, { recursive: true });
    // Not WebAssembly at all: workerd refuses to start if it is given this module.
    writeFileSync(join(folder, '0000-html-tokenizer.wasm'), 'stale');
    const gateway = await startWorkerd({
      script: join(folder, basename(inject('bundle'))),
      bindings: { ROUTES: { routes: [{ path: '/api', origin: `${origin.url}/v1` }] } },
    });
    try {
      expect((await request(gateway.url, '/api/x')).status).toBe(200);
    } finally {
      await gateway.stop();
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('is deleted when workerd stops: its folder holds the routes and secrets', async () => {
    const gateway = await startWorkerd({ script: inject('bundle'), bindings: { ROUTES: { routes: [] }, TOKEN: 'sekrit' } });
    const folder = dirname(configOf(gateway.process.pid!));
    expect(readdirSync(folder).map((file) => readFileSync(join(folder, file), 'utf8'))).toContain('sekrit');
    await gateway.stop();
    expect(existsSync(folder)).toBe(false);
  });
});

describe('what serve binds, as npm run dev would', () => {
  it('reads wrangler.toml [vars] and [[ratelimits]], .dev.vars as dotenv, and the ${NAME}s of the routes in use', () => {
    const root = mkdtempSync(join(tmpdir(), 'switchyard-local-'));
    try {
      writeFileSync(
        join(root, 'wrangler.toml'),
        'name = "x"\n[vars]\nGREETING = "hi"\nLIMITS = { a = 1 }\n[[ratelimits]]\nname = "API_LIMITER"\nnamespace_id = "1001"\nsimple = { limit = 5, period = 10 }\n' +
          '[env.prod.vars]\nGREETING = "prod"\n',
      );
      const routes = JSON.stringify({ routes: [{ path: '/a', origin: 'http://127.0.0.1:1', headers: { request: { set: { 'X-Key': '${API_KEY}' } } } }] });
      writeFileSync(join(root, '.dev.vars'), `TOKEN=abc123 # the local token\nMULTI="line1\nline2"\nROUTES=${routes}\n`);
      const local = localBindings({ API_KEY: 'from-env', UNNAMED: 'not bound' }, root);
      expect(local.bindings).toEqual({ GREETING: 'hi', LIMITS: { a: 1 }, TOKEN: 'abc123', MULTI: 'line1\nline2', ROUTES: routes, API_KEY: 'from-env' });
      expect(local.routesFrom).toBe('.dev.vars');
      expect(local.rateLimits).toEqual([{ name: 'API_LIMITER', limit: 5, period: 10 }]);
      expect(localBindings({ ROUTES: '{"routes":[]}' }, root).routesFrom).toBe('$ROUTES');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('counts [[ratelimits]] in bare workerd: over the limit is 429', async () => {
    const limited = await serve({
      port: 0,
      processes: 1,
      bundle: inject('bundle'),
      rateLimits: [{ name: 'API_LIMITER', limit: 2, period: 60 }],
      bindings: { ROUTES: { routes: [{ path: '/api', origin: origin.url, rateLimit: { binding: 'API_LIMITER' } }] } },
    });
    try {
      expect((await request(limited.url, '/api/1')).status).toBe(200);
      expect((await request(limited.url, '/api/2')).status).toBe(200);
      const over = await request(limited.url, '/api/3');
      expect(over.status).toBe(429);
      expect(over.headers['retry-after']).toBe('60');
    } finally {
      await limited.stop();
    }
  });

  it('leaves no config folder behind when the bundle is missing', () => {
    const folder = mkdtempSync(join(tmpdir(), 'switchyard-tmp-'));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = folder;
    try {
      expect(() => workerdConfig({ script: join(folder, 'missing.js'), bindings: { TOKEN: 'sekrit' } })).toThrow(/ENOENT/);
      expect(readdirSync(folder)).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

/** `npm run serve` as a user starts it (the script itself), once it says where it serves. */
async function runServe(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [join(ROOT, 'scripts/serve.ts'), '--port', '0', '--bundle', inject('bundle'), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  await expect.poll(() => stderr, { timeout: 30_000 }).toMatch(/serving http:\/\/127\.0\.0\.1:\d+/);
  const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)![1]!;
  return { child, url, stdout: () => stdout, stderr: () => stderr };
}

/** The config file a running workerd was started with (`workerd serve CONFIG ...`). */
function configOf(pid: number): string {
  const config = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[2]!;
  expect(config).toMatch(/\.capnp$/);
  return config;
}

describe('npm run serve (the command)', () => {
  it('takes ROUTES and referenced secrets from the environment, serves assets, and exits on SIGTERM', async () => {
    const routes = {
      routes: [{ path: '/api', origin: origin.url, headers: { request: { set: { Authorization: 'Bearer ${SERVE_TEST_TOKEN}' } } } }],
    };
    // An empty HOST is unset, not every interface.
    const { child, url, stdout, stderr } = await runServe(['--processes', '2'], { ROUTES: JSON.stringify(routes), SERVE_TEST_TOKEN: 'sekrit', HOST: '' });
    try {
      expect(stderr()).toMatch(/serving http:\/\/127\.0\.0\.1:\d+ \(2 workerd processes/);

      const res = await request(url, '/api/hello');
      expect(res.status).toBe(200);
      expect(res.json().url).toBe('/hello');
      expect(res.json().headers.authorization).toBe('Bearer sekrit');
      // stdout holds the access log alone: one JSON line per request, the secret nowhere.
      await expect.poll(stdout).toMatch(/"path":"\/api\/hello"/);
      for (const line of stdout().trim().split('\n')) expect(JSON.parse(line)).toMatchObject({ id: expect.any(String), status: expect.any(Number) });
      expect(stdout()).not.toContain('sekrit');

      // wrangler.toml's [assets] folder is served beside the routes, as on the edge.
      const assets = assetsDirectory();
      if (assets) expect((await request(url, '/')).text).toBe(readFileSync(join(assets, 'index.html'), 'utf8'));

      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
      await expect(request(url, '/api/hello')).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      // SIGTERM, so serve stops its workerd processes even when an assertion failed.
      if (child.exitCode === null) child.kill('SIGTERM');
    }
  });
});

describe('--log pretty', () => {
  it('prints one readable line per request: client, time, request, status, bytes, times, route, origin, id, reason', () => {
    const line = {
      time: '2026-11-22T11:21:45.435Z', id: 'f00d', method: 'GET', host: 'gw.test', path: '/api/x', route: '/api', origin: 'http://10.0.0.5:8080',
      status: 502, originStatus: null, ms: 31, originMs: 30, bytes: null, ip: '203.0.113.9', reason: 'upstream http://10.0.0.5:8080 could not be reached',
    };
    expect(prettyLine(JSON.stringify(line))).toBe(
      '203.0.113.9 [2026-11-22T11:21:45.435Z] "GET gw.test/api/x" 502 - 31ms route=/api origin=http://10.0.0.5:8080 - 30ms id=f00d reason="upstream http://10.0.0.5:8080 could not be reached"',
    );
    // Control characters a client sent (here in its Host) are written out, never passed to the terminal.
    expect(prettyLine(JSON.stringify({ ...line, host: 'a\u001b[31mRED\u0007', reason: 'x\ny' }))).toContain('"GET a\\x1B[31mRED\\x07/api/x" 502');
    expect(prettyLine(JSON.stringify({ ...line, reason: 'x\ny' }))).toContain('reason="x\\x0Ay"');
    expect(prettyLine('not a log line {')).toBe('not a log line {');
    expect(prettyLine('{"other":"json"}')).toBe('{"other":"json"}');
  });

  it('is what npm run serve -- --log pretty prints on stdout', async () => {
    const routes = { routes: [{ path: '/api', origin: origin.url }] };
    const { child, url, stdout } = await runServe(['--processes', '1', '--log', 'pretty'], { ROUTES: JSON.stringify(routes) });
    try {
      const res = await request(url, '/api/hello');
      const id = res.headers['x-request-id'] as string;
      await expect.poll(stdout).toContain(`id=${id}`);
      expect(stdout()).toMatch(new RegExp(`^127\\.0\\.0\\.1 \\[[^\\]]+\\] "GET 127\\.0\\.0\\.1:\\d+/api/hello" 200 \\d+ \\d+ms route=/api origin=${origin.url} 200 \\d+ms id=${id}\\n$`));
    } finally {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    }
  });
});
