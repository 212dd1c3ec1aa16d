import { describe, expect, it } from 'vitest';
import { addVary, allowedOrigin, applyCors, compileCors, isPreflight, originPattern, preflight, type CorsPolicy } from './cors.ts';

const policy = (config: Parameters<typeof compileCors>[0]): CorsPolicy => compileCors(config)!;

function preflightRequest(origin: string, method: string, headers?: string): Request {
  const init: Record<string, string> = { origin, 'access-control-request-method': method };
  if (headers) init['access-control-request-headers'] = headers;
  return new Request('http://gw.test/api/x', { method: 'OPTIONS', headers: init });
}

describe('compileCors', () => {
  it('is off for false and absent', () => {
    expect(compileCors(false)).toBeNull();
    expect(compileCors(undefined)).toBeNull();
  });

  it('treats true as origins ["*"] without credentials', () => {
    const p = policy(true);
    expect(p.anyOrigin).toBe(true);
    expect(p.credentials).toBe(false);
    expect(allowedOrigin(p, 'https://anything.test')).toBe('*');
  });
});

describe('origin patterns', () => {
  const cases: [pattern: string, origin: string, matches: boolean][] = [
    ['https://*.example.com', 'https://app.example.com', true],
    ['https://*.example.com', 'https://a.b.example.com', true],
    ['https://*.example.com', 'https://example.com', false],
    ['https://*.example.com', 'https://evil-example.com', false],
    ['https://*.example.com', 'https://example.com.evil.com', false],
    ['https://*.example.com', 'https://app.example.com.evil.com', false],
    ['https://*.example.com', 'https://evil.com/.example.com', false],
    ['https://*.example.com', 'http://app.example.com', false],
    ['https://*.example.com', 'https://app.example.com:8443', false],
    ['https://*.example.com', 'https://appXexample.com', false],
    ['http://localhost:*', 'http://localhost:5173', true],
    ['http://localhost:*', 'http://localhost', true],
    ['http://localhost:*', 'http://localhost.evil.com:80', false],
    ['http://localhost:*', 'http://localhost:80.evil.com', false],
    ['http://localhost:*', 'http://notlocalhost:3000', false],
    ['https://app-*.example.com', 'https://app-pr-12.example.com', true],
    ['https://app-*.example.com', 'https://app-x.evil.example.com', false],
    ['https://*.example.com:*', 'https://a.example.com:8443', true],
    ['http://[::1]:*', 'http://[::1]:8080', true],
    ['http://[::1]:*', 'http://[::2]:8080', false],
  ];
  it.each(cases)('%s vs %s → %s', (pattern, origin, matches) => {
    expect(originPattern(pattern).test(origin)).toBe(matches);
  });

  it('is case-insensitive like host names', () => {
    expect(originPattern('https://*.Example.COM').test('https://app.example.com')).toBe(true);
  });
});

describe('allowedOrigin', () => {
  const listed = policy({ origins: ['https://app.example.com', 'https://*.preview.example.com', 'http://localhost:*'] });

  it('echoes a listed exact origin and refuses others', () => {
    expect(allowedOrigin(listed, 'https://app.example.com')).toBe('https://app.example.com');
    expect(allowedOrigin(listed, 'https://other.example.com')).toBeNull();
    expect(allowedOrigin(listed, 'https://app.example.com.evil.com')).toBeNull();
  });

  it('echoes a pattern match', () => {
    expect(allowedOrigin(listed, 'https://pr-1.preview.example.com')).toBe('https://pr-1.preview.example.com');
    expect(allowedOrigin(listed, 'http://localhost:3000')).toBe('http://localhost:3000');
  });

  it('compares exact origins without the default port', () => {
    const p = policy({ origins: ['https://app.example.com:443', 'HTTP://Example.com:8080'] });
    expect(allowedOrigin(p, 'https://app.example.com')).toBe('https://app.example.com');
    expect(allowedOrigin(p, 'http://example.com:8080')).toBe('http://example.com:8080');
  });

  it('compares configured origins in the form browsers send: xn-- names, canonical IP addresses', () => {
    const p = policy({ origins: ['https://bücher.example', 'http://[0:0:0:0:0:0:0:1]:8080', 'http://127.1:3000', 'https://*.bücher.example', 'http://[::1]:*'] });
    expect(allowedOrigin(p, 'https://xn--bcher-kva.example')).toBe('https://xn--bcher-kva.example');
    expect(allowedOrigin(p, 'http://[::1]:8080')).toBe('http://[::1]:8080');
    expect(allowedOrigin(p, 'http://127.0.0.1:3000')).toBe('http://127.0.0.1:3000');
    expect(allowedOrigin(p, 'https://shop.xn--bcher-kva.example')).toBe('https://shop.xn--bcher-kva.example');
    expect(allowedOrigin(p, 'https://xn--bcher-kva.example.evil')).toBeNull();
  });

  it('allows the null origin only when listed, never through "*"', () => {
    expect(allowedOrigin(policy(true), 'null')).toBeNull();
    expect(allowedOrigin(policy({ origins: ['*'], credentials: true }), 'null')).toBeNull();
    expect(allowedOrigin(listed, 'null')).toBeNull();
    expect(allowedOrigin(policy({ origins: ['null'] }), 'null')).toBe('null');
  });

  it('echoes the origin with credentials and origins ["*"], never "*"', () => {
    const p = policy({ origins: ['*'], credentials: true });
    expect(allowedOrigin(p, 'https://a.test')).toBe('https://a.test');
    expect(allowedOrigin(p, null)).toBeNull();
  });

  it('gives requests without Origin "*" only on an any-origin route without credentials', () => {
    expect(allowedOrigin(policy(true), null)).toBe('*');
    expect(allowedOrigin(listed, null)).toBeNull();
  });
});

describe('isPreflight', () => {
  it('needs OPTIONS, Origin and Access-Control-Request-Method', () => {
    expect(isPreflight(preflightRequest('https://a.test', 'PUT'))).toBe(true);
    expect(isPreflight(new Request('http://gw.test/', { method: 'OPTIONS', headers: { origin: 'https://a.test' } }))).toBe(false);
    expect(isPreflight(new Request('http://gw.test/', { method: 'OPTIONS' }))).toBe(false);
  });
});

describe('preflight', () => {
  it('allows with methods, echoed headers, max age and Vary', () => {
    const verdict = preflight(policy(true), preflightRequest('https://a.test', 'PUT', 'Content-Type, X-Custom'));
    expect(verdict.ok).toBe(true);
    const h = verdict.headers;
    expect(h.get('access-control-allow-origin')).toBe('*');
    expect(h.get('access-control-allow-methods')).toBe('PUT');
    expect(h.get('access-control-allow-headers')).toBe('content-type, x-custom');
    expect(h.get('access-control-max-age')).toBe('600');
    expect(h.get('access-control-allow-credentials')).toBeNull();
    expect(h.get('vary')).toContain('Origin');
  });

  it('echoes the origin and allows credentials when configured', () => {
    const verdict = preflight(policy({ origins: ['*'], credentials: true, maxAge: 30 }), preflightRequest('https://a.test', 'DELETE'));
    expect(verdict.ok).toBe(true);
    expect(verdict.headers.get('access-control-allow-origin')).toBe('https://a.test');
    expect(verdict.headers.get('access-control-allow-credentials')).toBe('true');
    expect(verdict.headers.get('access-control-max-age')).toBe('30');
  });

  it('refuses a disallowed origin without any Allow-* header', () => {
    const verdict = preflight(policy({ origins: ['https://app.test'] }), preflightRequest('https://evil.test', 'GET'));
    expect(verdict.ok).toBe(false);
    expect([...verdict.headers.keys()].filter((k) => k.startsWith('access-control-'))).toEqual([]);
    if (!verdict.ok) expect(verdict.reason).toContain('https://evil.test');
  });

  it('refuses a method that is not in methods', () => {
    const p = policy({ methods: ['GET', 'post'] });
    expect(preflight(p, preflightRequest('https://a.test', 'POST')).ok).toBe(true);
    const verdict = preflight(p, preflightRequest('https://a.test', 'DELETE'));
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.reason).toContain('DELETE');
    expect(verdict.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('names a method it allowed as the preflight asked for it (browsers compare case-sensitively)', () => {
    const verdict = preflight(policy({ methods: ['GET', 'PATCH'] }), preflightRequest('https://a.test', 'patch'));
    expect(verdict.ok).toBe(true);
    expect(verdict.headers.get('access-control-allow-methods')).toBe('GET, PATCH, patch');
    const exact = preflight(policy({ methods: ['GET', 'PATCH'] }), preflightRequest('https://a.test', 'PATCH'));
    expect(exact.headers.get('access-control-allow-methods')).toBe('GET, PATCH');
  });

  it('refuses a header that is not in headers, case-insensitively', () => {
    const p = policy({ headers: ['Content-Type', 'X-Api-Version'] });
    const ok = preflight(p, preflightRequest('https://a.test', 'PUT', 'x-api-version,content-type'));
    expect(ok.ok).toBe(true);
    expect(ok.headers.get('access-control-allow-headers')).toBe('content-type, x-api-version');
    const refused = preflight(p, preflightRequest('https://a.test', 'PUT', 'content-type, x-secret'));
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.reason).toContain('x-secret');
  });

  it('treats "*" in methods and headers as anything', () => {
    const verdict = preflight(policy({ methods: ['*'], headers: ['*'] }), preflightRequest('https://a.test', 'PATCH', 'x-one'));
    expect(verdict.ok).toBe(true);
    expect(verdict.headers.get('access-control-allow-headers')).toBe('x-one');
  });
});

describe('applyCors', () => {
  const upstream = () =>
    new Headers({
      'content-type': 'application/json',
      'x-request-id': 'abc',
      'access-control-allow-origin': 'https://upstream-choice.test',
      'access-control-allow-methods': 'GET',
      'set-cookie': 'a=1',
    });

  it('replaces upstream Access-Control-* and exposes the response\'s own headers', () => {
    const headers = upstream();
    applyCors(policy(true), 'https://a.test', headers);
    expect(headers.get('access-control-allow-origin')).toBe('*');
    expect(headers.get('access-control-allow-methods')).toBeNull();
    const exposed = headers.get('access-control-expose-headers')!.split(', ');
    expect(exposed).toEqual(expect.arrayContaining(['content-type', 'x-request-id']));
    expect(exposed).not.toContain('set-cookie');
    expect(headers.get('vary')).toBe('Origin');
  });

  it('leaves hop-by-hop headers out of the exposed ones', () => {
    const headers = upstream();
    headers.set('connection', 'keep-alive');
    headers.set('keep-alive', 'timeout=5');
    applyCors(policy(true), 'https://a.test', headers);
    const exposed = headers.get('access-control-expose-headers')!.split(', ');
    expect(exposed).toContain('x-request-id');
    expect(exposed).not.toContain('connection');
    expect(exposed).not.toContain('keep-alive');
  });

  it('echoes the origin with credentials and adds to an existing Vary', () => {
    const headers = upstream();
    headers.set('vary', 'Accept-Encoding');
    applyCors(policy({ origins: ['*'], credentials: true }), 'https://a.test', headers);
    expect(headers.get('access-control-allow-origin')).toBe('https://a.test');
    expect(headers.get('access-control-allow-credentials')).toBe('true');
    expect(headers.get('vary')).toBe('Accept-Encoding, Origin');
  });

  it('gives a disallowed origin no Access-Control-* at all, even the upstream\'s', () => {
    const headers = upstream();
    applyCors(policy({ origins: ['https://app.test'] }), 'https://evil.test', headers);
    expect([...headers.keys()].filter((k) => k.startsWith('access-control-'))).toEqual([]);
    expect(headers.get('vary')).toBe('Origin');
  });

  it('uses configured exposeHeaders as given', () => {
    const headers = upstream();
    applyCors(policy({ exposeHeaders: ['X-Request-Id'] }), 'https://a.test', headers);
    expect(headers.get('access-control-expose-headers')).toBe('X-Request-Id');
  });
});

describe('addVary', () => {
  it('does not repeat a name or add to "*"', () => {
    const h = new Headers({ vary: 'origin' });
    addVary(h, 'Origin');
    expect(h.get('vary')).toBe('origin');
    const star = new Headers({ vary: '*' });
    addVary(star, 'Origin');
    expect(star.get('vary')).toBe('*');
  });
});
