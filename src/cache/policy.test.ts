// What RFC 9111 lets a shared cache store, and for how long.
import { describe, expect, it } from 'vitest';
import { compileCache, parseCacheControl, requestFacts, storability, type CachePolicy } from './policy.ts';

const policy = (config: Parameters<typeof compileCache>[0] = true): CachePolicy => compileCache(config)!;
const now = Date.parse('2026-01-01T00:00:00Z');
const verdict = (headers: Record<string, string>, options: { status?: number; policy?: CachePolicy; authorization?: boolean } = {}) =>
  storability({ status: options.status ?? 200, headers: new Headers(headers) }, options.policy ?? policy(), { authorization: options.authorization ?? false, now });

describe('compileCache', () => {
  it('gives the documented defaults for true, and nothing for false', () => {
    expect(compileCache(false)).toBeNull();
    expect(compileCache(undefined)).toBeNull();
    expect(policy()).toEqual({ ttl: 0, override: false, staleWhileRevalidate: 0, staleIfError: 0, query: 'all', vary: [], cookies: 'bypass', version: '', maxEntryBytes: 8 * 1024 * 1024 });
    expect(policy({ query: ['page'], vary: ['X-Tenant'] })).toMatchObject({ query: new Set(['page']), vary: ['x-tenant'] });
  });
});

describe('parseCacheControl', () => {
  it('reads names case-insensitively, values unquoted, commas inside quotes kept', () => {
    expect([...parseCacheControl('Max-Age=60, private="set-cookie, x", no-cache')]).toEqual([
      ['max-age', '60'],
      ['private', 'set-cookie, x'],
      ['no-cache', ''],
    ]);
    expect(parseCacheControl(null).size).toBe(0);
  });
  it('keeps the first of a repeated directive', () => {
    expect(parseCacheControl('max-age=10, max-age=99').get('max-age')).toBe('10');
  });
});

describe('storability', () => {
  it('never stores what is marked personal or unsafe', () => {
    expect(verdict({ 'cache-control': 'no-store, max-age=60' })).toEqual({ store: false, detail: 'no-store' });
    expect(verdict({ 'cache-control': 'private="set-cookie", max-age=60' })).toEqual({ store: false, detail: 'private' });
    expect(verdict({ 'cache-control': 'max-age=60', vary: 'Accept, *' })).toEqual({ store: false, detail: 'vary-star' });
    expect(verdict({ 'cache-control': 'max-age=60', 'set-cookie': 'a=1' })).toEqual({ store: false, detail: 'set-cookie' });
    expect(verdict({ 'cache-control': 'max-age=60' }, { status: 206 })).toEqual({ store: false, detail: 'status' });
  });

  it('stores statuses not cacheable by default only with explicit freshness', () => {
    expect(verdict({}, { status: 302, policy: policy({ ttl: 60 }) })).toEqual({ store: false, detail: 'status' });
    expect(verdict({ 'cache-control': 'max-age=60' }, { status: 302 })).toMatchObject({ store: true, fresh: 60 });
    expect(verdict({}, { status: 404, policy: policy({ ttl: 60 }) })).toMatchObject({ store: true, fresh: 60 });
  });

  it('reads freshness from s-maxage, then max-age, then Expires − Date, then the ttl', () => {
    expect(verdict({ 'cache-control': 'max-age=10, s-maxage=20' })).toMatchObject({ fresh: 20 });
    expect(verdict({ 'cache-control': 'max-age=10' })).toMatchObject({ fresh: 10 });
    expect(verdict({ date: 'Thu, 01 Jan 2026 00:00:00 GMT', expires: 'Thu, 01 Jan 2026 00:05:00 GMT' })).toMatchObject({ fresh: 300 });
    expect(verdict({}, { policy: policy({ ttl: 30 }) })).toMatchObject({ fresh: 30 });
    expect(verdict({ 'cache-control': 'max-age=10' }, { policy: policy({ ttl: 30, override: true }) })).toMatchObject({ fresh: 30 });
  });

  it('takes a malformed max-age or Expires as already stale', () => {
    expect(verdict({ 'cache-control': 'max-age=soon', etag: '"a"' })).toMatchObject({ store: true, fresh: 0 });
    expect(verdict({ expires: '0', etag: '"a"' }, { policy: policy({ ttl: 60 }) })).toMatchObject({ store: true, fresh: 0 });
  });

  it('stores what has no freshness only to revalidate it or serve it stale', () => {
    expect(verdict({})).toEqual({ store: false, detail: 'no-freshness' });
    expect(verdict({ etag: '"a"' })).toMatchObject({ store: true, fresh: 0 });
    expect(verdict({}, { policy: policy({ staleIfError: 60 }) })).toMatchObject({ store: true, fresh: 0, staleIfError: 60 });
  });

  it('no-cache stores an entry that is always revalidated and never served stale', () => {
    expect(verdict({ 'cache-control': 'no-cache, max-age=60', etag: '"a"' }, { policy: policy({ staleIfError: 60 }) })).toMatchObject({ store: true, fresh: 0, staleIfError: 0 });
  });

  it('counts the stale-* directives of the origin and the route, unless the origin forbids stale answers', () => {
    expect(verdict({ 'cache-control': 'max-age=1, stale-while-revalidate=5, stale-if-error=7' })).toMatchObject({ staleWhileRevalidate: 5, staleIfError: 7 });
    expect(verdict({ 'cache-control': 'max-age=1, stale-if-error=7' }, { policy: policy({ staleIfError: 60 }) })).toMatchObject({ staleIfError: 60 });
    for (const directive of ['must-revalidate', 'proxy-revalidate', 's-maxage=1']) {
      expect(verdict({ 'cache-control': `max-age=1, ${directive}` }, { policy: policy({ staleWhileRevalidate: 60, staleIfError: 60 }) })).toMatchObject({ staleWhileRevalidate: 0, staleIfError: 0 });
    }
    // The origin's own permission still holds with s-maxage.
    expect(verdict({ 'cache-control': 's-maxage=1, stale-if-error=9' }, { policy: policy({ staleIfError: 60 }) })).toMatchObject({ staleIfError: 9 });
  });

  it('stores an answer to an authorized request only when the response allows it (RFC 9111 §3.5)', () => {
    expect(verdict({ 'cache-control': 'max-age=60' }, { authorization: true })).toEqual({ store: false, detail: 'authorization' });
    for (const allow of ['public, max-age=60', 's-maxage=60', 'must-revalidate, max-age=60']) {
      expect(verdict({ 'cache-control': allow }, { authorization: true })).toMatchObject({ store: true, shared: true });
    }
  });

  it('takes the age the response arrived with from its Age, not from its Date', () => {
    expect(verdict({ 'cache-control': 'max-age=60', age: '12', date: 'Wed, 31 Dec 2025 00:00:00 GMT' })).toMatchObject({ initialAge: 12 });
  });
});

describe('requestFacts', () => {
  const route = (set: [string, string][] = [], remove: string[] = []) => ({ requestHeaders: { set, remove } });
  const facts = (headers: Record<string, string>, r = route(), p = policy()) => requestFacts(new Headers(headers), r, p);

  it('finds the client\'s own Authorization and cookies', () => {
    expect(facts({ authorization: 'Bearer x', cookie: 'a=1' })).toEqual({ authorization: true, cookie: true });
    expect(facts({})).toEqual({ authorization: false, cookie: false });
  });
  it('ignores what the route replaces or removes, and the gateway\'s own site cookie', () => {
    expect(facts({ authorization: 'Bearer x' }, route([['Authorization', 'Bearer key']]))).toMatchObject({ authorization: false });
    expect(facts({ authorization: 'Bearer x', cookie: 'a=1' }, route([], ['authorization', 'cookie']))).toEqual({ authorization: false, cookie: false });
    expect(facts({ cookie: 'switchyard-site=%2Fdocs' })).toMatchObject({ cookie: false });
    expect(facts({ cookie: 'switchyard-site=%2Fdocs; theme=dark' })).toMatchObject({ cookie: true });
  });
  it('ignores cookies on a cookies: "ignore" route', () => {
    expect(facts({ cookie: 'a=1' }, route(), policy({ cookies: 'ignore' }))).toMatchObject({ cookie: false });
  });
});
