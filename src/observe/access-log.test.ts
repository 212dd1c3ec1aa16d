// The log line: valid JSON whatever the client sent, every field where the docs say, secrets masked.
import { describe, expect, it } from 'vitest';
import { compileConfig, type Route } from '../config/compile.ts';
import { startTrace, type Trace } from '../pipeline/trace.ts';
import { isoTime, logLine, maskSecrets, shouldLog, type LogFacts } from './access-log.ts';

const gateway = (() => {
  const result = compileConfig({ routes: [{ path: '/api', origin: 'https://api.example.com' }] }, {});
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.gateway;
})();
const route: Route = gateway.routes[0]!;

function trace(fields: Partial<Trace> = {}): Trace {
  return { ...startTrace(), start: 1_700_000_000_000, id: 'a5c3e2d4-0000-4000-8000-000000000001', ip: '203.0.113.9', ...fields };
}
const facts = (fields: Partial<LogFacts> = {}): LogFacts => ({ method: 'GET', host: 'gw.example', path: '/api/x', status: 200, bytes: 1024, now: 1_700_000_000_042, ...fields });

describe('logLine', () => {
  it('writes every field of a proxied request', () => {
    const line = logLine(trace({ route, attempts: [{ origin: 'https://api.example.com', outcome: 'response', status: 201, ms: 30 }] }), facts({ status: 201 }), []);
    expect(JSON.parse(line)).toEqual({
      time: '2023-11-14T22:13:20.042Z',
      id: 'a5c3e2d4-0000-4000-8000-000000000001',
      method: 'GET',
      host: 'gw.example',
      path: '/api/x',
      route: '/api',
      origin: 'https://api.example.com',
      status: 201,
      originStatus: 201,
      ms: 42,
      originMs: 30,
      bytes: 1024,
      ip: '203.0.113.9',
    });
  });

  it('lists every attempt when there were several, and adds cache, reason and admin when set', () => {
    const attempts: Trace['attempts'] = [
      { origin: 'https://a.example', outcome: 'connect', ms: 3 },
      { origin: 'https://b.example', outcome: 'timeout', ms: 20 },
      { origin: 'https://c.example', outcome: 'response', status: 503, ms: 7 },
    ];
    const parsed = JSON.parse(logLine(trace({ route, attempts, cache: 'fwd=uri-miss; stored', reason: 'why "not"' }), facts({ status: 503 }), []));
    expect(parsed).toMatchObject({ origin: 'https://c.example', originStatus: 503, originMs: 7, cache: 'fwd=uri-miss; stored', reason: 'why "not"' });
    expect(parsed.attempts).toEqual([
      { origin: 'https://a.example', outcome: 'connect', status: null, ms: 3 },
      { origin: 'https://b.example', outcome: 'timeout', status: null, ms: 20 },
      { origin: 'https://c.example', outcome: 'response', status: 503, ms: 7 },
    ]);
    expect(JSON.parse(logLine(trace({ admin: true }), facts(), []))).toMatchObject({ admin: true, route: null, origin: null, originStatus: null, originMs: null });
  });

  it.each([
    ['quotes and backslashes', '/a"b\\c'],
    ['control characters', '/a\u0001\u001fb'],
    ['a lone surrogate', '/a\ud800b'],
    ['non-ASCII', '/café/日本'],
  ])('stays valid JSON with %s in what the client sent', (_name, text) => {
    const parsed = JSON.parse(logLine(trace({ id: `id${text}`, idFromClient: true }), facts({ path: text, host: text }), []));
    expect(parsed.path).toBe(JSON.parse(JSON.stringify(text)));
    expect(parsed.host).toBe(parsed.path);
    expect(parsed.id).toBe(`id${parsed.path}`);
  });

  it('writes null for what is not known', () => {
    expect(JSON.parse(logLine(trace({ ip: null }), facts({ host: null, bytes: null }), []))).toMatchObject({ host: null, bytes: null, ip: null });
  });

  it('masks injected secrets in everything the client sent', () => {
    const secret = 'sk-live-0123456789';
    const line = logLine(trace({ id: secret, idFromClient: true, reason: `no route matches /${secret}` }), facts({ path: `/${secret}?k=${secret}`, host: `${secret}.example` }), [secret]);
    expect(line).not.toContain(secret);
    expect(JSON.parse(line).path).toBe(`/${'*'.repeat(secret.length)}?k=${'*'.repeat(secret.length)}`);
  });
});

describe('maskSecrets', () => {
  it('masks a long secret anywhere, a short one only as the whole value', () => {
    expect(maskSecrets('/x/abcdefgh12/y', ['abcdefgh12'])).toBe('/x/**********/y');
    expect(maskSecrets('/eu/europe', ['eu'])).toBe('/eu/europe');
    expect(maskSecrets('eu', ['eu'])).toBe('**');
  });
});

describe('isoTime', () => {
  it('matches Date#toISOString, within a second and across seconds', () => {
    for (const now of [0, 5, 42, 999, 1000, 1_700_000_000_007, 1_700_000_000_070, 1_700_000_000_700, 1_700_000_001_000, 1_700_000_000_999]) {
      expect(isoTime(now)).toBe(new Date(now).toISOString());
    }
  });
});

describe('shouldLog', () => {
  it('logs errors unless "none", successes with "all" thinned by sample', () => {
    const settings = (requests: 'all' | 'errors' | 'none', sample = 1) => ({ requests, sample, query: false });
    expect(shouldLog(settings('all'), 200)).toBe(true);
    expect(shouldLog(settings('all', 0), 200)).toBe(false);
    expect(shouldLog(settings('all', 0), 404)).toBe(true);
    expect(shouldLog(settings('errors'), 302)).toBe(false);
    expect(shouldLog(settings('errors'), 400)).toBe(true);
    expect(shouldLog(settings('errors'), 502)).toBe(true);
    expect(shouldLog(settings('none'), 502)).toBe(false);
  });
});
