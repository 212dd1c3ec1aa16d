// Local files (`[assets]`, public/) beside the routes, through the real gateway in workerd
// with the ASSETS binding emulated as scripts/workerd.ts does for `npm run serve`.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { assetsDirectory, startWorkerd, type RunningWorkerd } from '../scripts/workerd.ts';
import { request } from './support/http.ts';
import { startOrigin, type Origin } from './support/origin.ts';

let api: Origin;
let gateway: RunningWorkerd;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-assets-'));
  mkdirSync(join(dir, 'api'));
  mkdirSync(join(dir, 'docs'));
  mkdirSync(join(dir, 'bare'));
  writeFileSync(join(dir, 'bare/x.txt'), 'x');
  writeFileSync(join(dir, 'index.html'), '<h1>front end</h1>');
  writeFileSync(join(dir, 'app.js'), 'fetch("/api/items")');
  writeFileSync(join(dir, 'docs/index.html'), '<h1>docs</h1>');
  writeFileSync(join(dir, 'api/shadowed.json'), '{"from":"file"}');
  api = await startOrigin();
  gateway = await startWorkerd({
    script: inject('bundle'),
    assets: dir,
    bindings: { ROUTES: { routes: [{ path: '/api', origin: api.url }, { path: '/site', origin: api.url }] } },
  });
});
afterAll(async () => {
  await gateway?.stop();
  await api?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('local files', () => {
  it('serves the front end and its files where no route matches', async () => {
    const index = await request(gateway.url, '/');
    expect(index.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(index.headers['server-timing']).toMatch(/^gateway;dur=\d+$/);
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.text).toBe('<h1>front end</h1>');
    const script = await request(gateway.url, '/app.js');
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.text).toBe('fetch("/api/items")');
    expect((await request(gateway.url, '/docs/')).text).toBe('<h1>docs</h1>');
    const named = await request(gateway.url, '/docs/index.html');
    expect(named.status).toBe(200);
    expect(named.text).toBe('<h1>docs</h1>');
    expect((await request(gateway.url, '/index.html')).text).toBe('<h1>front end</h1>');
    // A folder without its slash is redirected, as Workers assets do, never listed.
    const folder = await request(gateway.url, '/docs?x=1');
    expect(folder.status).toBe(307);
    expect(folder.headers.location).toBe('/docs/?x=1');
    const bare = await request(gateway.url, '/bare', { headers: { accept: 'application/json' } });
    expect(bare.status).toBe(404);
    expect(bare.text).not.toContain('x.txt');
  });

  it('lets routes win on their paths', async () => {
    const res = await request(gateway.url, '/api/shadowed.json');
    expect(res.json().url).toBe('/shadowed.json');
  });

  it('answers the gateway’s own 404 when there is no file either', async () => {
    const res = await request(gateway.url, '/missing.txt', { headers: { accept: 'application/json' } });
    expect(res.status).toBe(404);
    expect(res.json().error.reason).toBe('no route matches /missing.txt');
    expect((await request(gateway.url, '/app.js', { method: 'POST', body: 'x' })).status).toBe(404);
  });

  it('ends a sticky site when a local page is loaded', async () => {
    const res = await request(gateway.url, '/', { headers: { cookie: 'switchyard-site=%2Fsite', 'sec-fetch-site': 'none' } });
    expect(res.text).toBe('<h1>front end</h1>');
    expect(res.headers['set-cookie']).toEqual(['switchyard-site=; Path=/; Max-Age=0; SameSite=Lax; HttpOnly']);
  });

  it('yields to a sticky site for requests its pages make', async () => {
    const res = await request(gateway.url, '/app.js', { headers: { referer: `${gateway.url}/site/page.html` } });
    expect(res.json().url).toBe('/app.js');
  });

  it('is configured in wrangler.toml, with the example front end in public/', () => {
    const directory = assetsDirectory();
    expect(directory).toMatch(/public$/);
    expect(readFileSync(join(directory!, 'index.html'), 'utf8')).toContain('/app.js');
  });
});
