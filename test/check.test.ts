// `npm run check` as a user runs it: Node 22 on the script, in a project folder of its own.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../scripts/workerd.ts';

const NODE = join(ROOT, 'node_modules/.bin/node');
const CHECK = join(ROOT, 'scripts/check.ts');

let dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

/** A project folder holding the given files (objects are written as JSON). */
function project(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-check-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
  return dir;
}

function check(dir: string, args: string[] = [], env: Record<string, string> = {}): { status: number | null; lines: string[] } {
  const { ROUTES: _ignored, ...inherited } = process.env;
  const run = spawnSync(NODE, [CHECK, ...args], { cwd: dir, env: { ...inherited, ...env }, encoding: 'utf8' });
  expect(run.stderr).toBe('');
  return { status: run.status, lines: run.stdout.trimEnd().split('\n') };
}

const withToken = {
  $schema: './routes.schema.json',
  routes: [
    { path: '/api', origin: 'https://api.example.com', headers: { request: { set: { Authorization: 'Bearer ${API_TOKEN}' } } } },
    { path: '/', origin: 'https://www.example.com' },
  ],
};
const TOKEN_WARNING =
  '  routes[0].headers.request.set.Authorization: warning: ${API_TOKEN} has no binding named API_TOKEN (add a var or `wrangler secret put API_TOKEN`)';

describe('npm run check', () => {
  it('passes the repository\'s own routes.json', () => {
    const run = spawnSync(NODE, [CHECK], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ROUTES: '' } });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^routes\.json: OK \(\d+ routes\)$/m);
  });

  it('prints a short OK line for a good file', () => {
    const { status, lines } = check(project({ 'routes.json': { routes: [{ path: '/a', origin: 'https://a.example.com' }, { path: '/b', origins: ['https://b.example.com'] }] } }));
    expect(status).toBe(0);
    expect(lines).toEqual(['routes.json: OK (2 routes)']);
  });

  it('prints every problem of a broken file, JSON path first, and fails', () => {
    const broken = { routes: [{ path: 'api', origin: 'ftp://x' }, { path: '/b', origin: 'https://b.example.com', timeout: '5s', stripprefix: true }] };
    const { status, lines } = check(project({ 'routes.json': broken }));
    expect(status).toBe(1);
    expect(lines).toEqual([
      'routes.json: 4 errors',
      '  routes[0].path: must start with "/" and hold no query, fragment or space',
      '  routes[0].origin: must be an absolute http(s) URL with no query or fragment',
      '  routes[1].timeout: must be a number, got a string',
      '  routes[1].stripprefix: unknown field (did you mean "stripPrefix"?)',
    ]);
  });

  it('prints shape errors and unbound ${NAME} warnings of one file together', () => {
    const broken = { routes: [{ path: '/a', origin: 'https://a.example.com' }, { path: '/b', origin: 'b.example.com' }, withToken.routes[1], withToken.routes[0]] };
    const { status, lines } = check(project({ 'routes.json': broken }));
    expect(status).toBe(1);
    expect(lines).toEqual([
      'routes.json: 1 error, 1 warning',
      '  routes[1].origin: must be an absolute http(s) URL with no query or fragment',
      TOKEN_WARNING.replace('routes[0]', 'routes[3]'),
    ]);
  });

  it('reports invalid JSON with its line', () => {
    const { status, lines } = check(project({ 'routes.json': '{\n  "routes": [\n    { "path": "/a" "origin": "https://a.example.com" }\n  ]\n}\n' }));
    expect(status).toBe(1);
    expect(lines).toEqual(['routes.json: 1 error', "  (root): not valid JSON: expected ',' or '}' after property value at line 3 column 20"]);
  });

  it('warns about a ${NAME} the repository does not define, and passes', () => {
    const { status, lines } = check(project({ 'routes.json': withToken }));
    expect(status).toBe(0);
    expect(lines).toEqual(['routes.json: OK (2 routes), 1 warning', TOKEN_WARNING]);
  });

  it('warns, and passes, about configs that are valid but unsafe or broken once deployed', () => {
    const risky = {
      routes: [
        { path: '/maps', origin: 'https://maps.example.com', cors: true, headers: { request: { set: { 'X-Api-Key': '${MAPS_KEY}' } } } },
        { path: '/nas', origin: 'http://192.168.1.20:5000' },
        { path: '/docs', origin: 'https://docs.example.com/en' },
        { path: '/app', origin: 'https://app.example.com', cors: { origins: ['https://*'], credentials: true } },
      ],
    };
    const { status, lines } = check(project({ 'routes.json': risky, '.dev.vars': 'MAPS_KEY=k\n' }));
    expect(status).toBe(0);
    expect(lines[0]).toBe('routes.json: OK (4 routes), 4 warnings');
    expect(lines.slice(1).map((line) => line.slice(0, line.indexOf(': warning: ')))).toEqual([
      '  routes[0].cors',
      '  routes[1].origin',
      '  routes[2].sticky',
      '  routes[3].cors.origins[0]',
    ]);
    expect(lines[1]).toMatch(/any website can .* list the sites that may in cors\.origins, or add access\.auth or a rateLimit$/);
    expect(lines[2]).toMatch(/Cloudflare's network cannot reach: this route works only under npm run serve or npm run dev/);
    expect(lines[3]).toMatch(/set "sticky": false .* or "sticky": true to keep it so$/);
    expect(lines[4]).toMatch(/sites anyone can register match it.*such as https:\/\/\*\.example\.com$/);
  });

  it('knows names from wrangler.toml [vars] and [env.NAME.vars]', () => {
    const both = { routes: [{ path: '/a', origin: 'https://a.example.com', headers: { request: { set: { 'X-A': '${TENANT}', 'X-B': '${STAGING_ONLY}' } } } }] };
    const toml = '[vars]\nTENANT = "acme"\n\n[env.staging.vars]\nSTAGING_ONLY = "yes"\n';
    const { status, lines } = check(project({ 'routes.json': both, 'wrangler.toml': toml }));
    expect(status).toBe(0);
    expect(lines).toEqual(['routes.json: OK (1 route)']);
  });

  it('knows names from .dev.vars and never prints their values', () => {
    const secret = 'sk_test_do_not_print_9f8e7d';
    const { status, lines } = check(project({ 'routes.json': withToken, '.dev.vars': `# local secrets\nAPI_TOKEN="${secret}"\n` }));
    expect(status).toBe(0);
    expect(lines).toEqual(['routes.json: OK (2 routes)']);
    expect(lines.join('\n')).not.toContain(secret);
  });

  it('knows rate limiting bindings declared in wrangler.toml', () => {
    const limited = { routes: [{ path: '/a', origin: 'https://a.example.com', rateLimit: { binding: 'API_LIMITER' } }] };
    const declared = check(project({ 'routes.json': limited, 'wrangler.toml': '[[ratelimits]]\nname = "API_LIMITER"\nnamespace_id = "1001"\nsimple = { limit = 100, period = 60 }\n' }));
    expect(declared.lines).toEqual(['routes.json: OK (1 route)']);
    const undeclared = check(project({ 'routes.json': limited }));
    expect(undeclared.lines.join('\n')).toMatch(/routes\[0\]\.rateLimit\.binding: .*API_LIMITER/);
  });

  it('fails on a binding that is a table, not a string', () => {
    const toml = '[vars]\nAPI_TOKEN = { value = "x" }\n';
    const { status, lines } = check(project({ 'routes.json': withToken, 'wrangler.toml': toml }));
    expect(status).toBe(1);
    expect(lines).toContain('  routes[0].headers.request.set.Authorization: binding API_TOKEN must be a string');
  });

  it('checks a ROUTES given in the environment, as JSON text', () => {
    const dir = project({ 'routes.json': { routes: [] } });
    const good = check(dir, [], { ROUTES: JSON.stringify(withToken) });
    expect(good.status).toBe(0);
    expect(good.lines).toEqual(['routes.json: OK (0 routes)', 'ROUTES (environment): OK (2 routes), 1 warning', TOKEN_WARNING]);
    const bad = check(dir, [], { ROUTES: '{"routes": [{"path": "/x"}]}' });
    expect(bad.status).toBe(1);
    expect(bad.lines).toEqual(['routes.json: OK (0 routes)', 'ROUTES (environment): 1 error', '  routes[0]: needs exactly one of "origin" or "origins"']);
  });

  it('checks a ROUTES set in wrangler.toml vars', () => {
    const toml = '[env.staging.vars]\nROUTES = { routes = [ { path = "/api", origin = "https://staging.example.com?x" } ] }\n';
    const { status, lines } = check(project({ 'routes.json': { routes: [] }, 'wrangler.toml': toml }));
    expect(status).toBe(1);
    expect(lines).toEqual([
      'routes.json: OK (0 routes)',
      'wrangler.toml [env.staging.vars] ROUTES: 1 error',
      '  routes[0].origin: must be an absolute http(s) URL with no query or fragment',
    ]);
  });

  it('checks the files it is given instead of routes.json', () => {
    const dir = project({ 'a.json': { routes: [{ path: '/a', origin: 'https://a.example.com' }] }, 'b.json': { routes: 'none' } });
    const { status, lines } = check(dir, ['a.json', 'b.json', 'missing.json']);
    expect(status).toBe(1);
    expect(lines).toEqual([
      'a.json: OK (1 route)',
      'b.json: 1 error',
      '  routes: must be an array, got a string',
      'missing.json: 1 error',
      '  (root): file not found',
    ]);
  });
});
