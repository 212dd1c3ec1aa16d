// Cache keys: what splits them and what does not.
import { describe, expect, it } from 'vitest';
import { compileConfig, type Route } from '../config/compile.ts';
import { acceptedCodings, cacheKey, normalizeQuery, variantKey, varyNames, varyValues, type KeyParts } from './key.ts';

function routes(config: unknown): Route[] {
  const result = compileConfig(config, {});
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.gateway.routes;
}

const [route] = routes({ routes: [{ path: '/api', origin: 'https://api.example.com', cache: { ttl: 60, vary: ['X-Tenant'] } }] });
const parts = (overrides: Partial<KeyParts> = {}): KeyParts => ({
  origin: 'https://gw.example',
  path: '/api/items',
  query: '',
  route: route!,
  policy: route!.cache!,
  headers: new Headers(),
  ...overrides,
});

describe('cacheKey', () => {
  it('is a URL on the request\'s host, naming the fingerprint, version, route and path', () => {
    const key = cacheKey(parts({ query: '?b=2&a=1' }));
    expect(new URL(key).host).toBe('gw.example');
    expect(key).toMatch(new RegExp(`^https://gw\\.example/\\.switchyard-cache/${route!.cacheFingerprint}/-/-/0/api/items\\?a=1&b=2$`));
  });

  it('differs by host, sticky requests and variants; the route\'s vary headers pick a variant, not the URL\'s key', () => {
    const plain = cacheKey(parts());
    expect(cacheKey(parts({ origin: 'https://other.example' }))).not.toBe(plain);
    // So that dropping the URL's key (an unsafe method) drops every variant.
    expect(cacheKey(parts({ headers: new Headers({ 'x-tenant': 'a' }) }))).toBe(plain);
    expect(variantKey(parts({ headers: new Headers({ 'x-tenant': 'a' }) }), 'g1', ['x-tenant'])).not.toBe(variantKey(parts({ headers: new Headers({ 'x-tenant': 'b' }) }), 'g1', ['x-tenant']));
    expect(cacheKey(parts({ fromOriginRoot: true }))).not.toBe(plain);
    expect(variantKey(parts(), 'g1', ['accept-language'])).not.toBe(plain);
    expect(variantKey(parts(), 'g1', ['accept-language'])).not.toBe(variantKey(parts(), 'g2', ['accept-language']));
  });

  it('differs by version and by any change to the route or the URL mapping, not by unrelated fields', () => {
    const key = (config: unknown, index = 0) => {
      const all = routes(config);
      return cacheKey(parts({ route: all[index]!, policy: all[index]!.cache! }));
    };
    const base = { path: '/api', origin: 'https://api.example.com', cache: { ttl: 60 } };
    const v1 = key({ routes: [base] });
    expect(key({ routes: [base] })).toBe(v1);
    expect(key({ id: 'edge-2', routes: [base] })).toBe(v1);
    expect(key({ routes: [{ ...base, cache: { ttl: 60, version: '2' } }] })).not.toBe(v1);
    expect(key({ routes: [{ ...base, substitutions: [{ match: 'a', replace: 'b' }] }] })).not.toBe(v1);
    expect(key({ routes: [base, { path: '/docs', origin: 'https://docs.example.com' }] })).not.toBe(v1);
  });
});

describe('normalizeQuery', () => {
  it('sorts every parameter, drops them all, or keeps the listed names', () => {
    expect(normalizeQuery('?b=2&a=1&&a=0', 'all')).toBe('?a=0&a=1&b=2');
    expect(normalizeQuery('?b=2', 'none')).toBe('');
    expect(normalizeQuery('?', 'all')).toBe('');
    expect(normalizeQuery('?utm_source=x&page=2&q%20x=1', new Set(['page', 'q x']))).toBe('?page=2&q%20x=1');
    expect(normalizeQuery('?utm=1', new Set(['page']))).toBe('');
  });
});

describe('vary', () => {
  it('reads Vary names lower-case, sorted, once each', () => {
    expect(varyNames('Accept-Language, accept-encoding,Accept-Language')).toEqual(['accept-encoding', 'accept-language']);
    expect(varyNames(null)).toEqual([]);
  });
  it('reduces Accept-Encoding to the codings the origin is asked for', () => {
    expect(acceptedCodings('gzip, deflate, br')).toBe('br,gzip');
    expect(acceptedCodings('br;q=1.0, gzip;q=0.5, *;q=0.1')).toBe('br,gzip');
    expect(acceptedCodings('gzip;q=0, identity')).toBe('');
    expect(acceptedCodings(null)).toBe('');
  });
  it('lists the named request headers\' values, sorted by name', () => {
    const headers = new Headers({ 'accept-language': 'fr , en', 'accept-encoding': 'deflate, gzip' });
    expect(varyValues(['accept-language', 'accept-encoding', 'x-missing'], headers)).toBe('accept-encoding=gzip\naccept-language=fr,en\nx-missing=');
  });
});
