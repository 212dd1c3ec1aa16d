import { describe, expect, it } from 'vitest';
import { gatewayOf } from './test-routes.ts';
import { checkPath, findRoute, gatewayPathFor, hostMatches, hostPreservingTarget, joinUpstream, prefixMatches, routePathForm, splitTarget } from './url.ts';

describe('splitTarget', () => {
  it('keeps the raw path and query', () => {
    expect(splitTarget('http://h:8787/api/../x?q=%2e#frag')).toEqual({ origin: 'http://h:8787', path: '/api/../x', query: '?q=%2e' });
    expect(splitTarget('https://h')).toEqual({ origin: 'https://h', path: '/', query: '' });
    expect(splitTarget('https://h?x=1')).toEqual({ origin: 'https://h', path: '/', query: '?x=1' });
  });

  it('takes the path only from the target when the runtime put the raw Host in the URL', () => {
    // bare workerd: request.url is "http://" + Host + target, whatever the Host holds.
    expect(splitTarget('http://x/api/public/x', 'x/api')).toEqual({ origin: 'http://x/api', path: '/public/x', query: '' });
    expect(splitTarget('http://x/api?/public/x', 'x/api?')).toEqual({ origin: 'http://x/api?', path: '/public/x', query: '' });
    expect(splitTarget('http://x#y/a?b', 'x#y')).toEqual({ origin: 'http://x#y', path: '/a', query: '?b' });
    expect(splitTarget('http://good.example, evil.example/h/x', 'good.example, evil.example').path).toBe('/h/x');
    expect(splitTarget('http://a b/nothing', 'a b').path).toBe('/nothing');
    expect(splitTarget('http://h:8787//;', 'h:8787')).toEqual({ origin: 'http://h:8787', path: '//;', query: '' });
    expect(splitTarget('http://h', 'h')).toEqual({ origin: 'http://h', path: '/', query: '' });
  });

  it('finds the authority itself when the URL does not start with the Host (the runtime parsed it)', () => {
    expect(splitTarget('https://example.com/a?b', 'Example.com')).toEqual({ origin: 'https://example.com', path: '/a', query: '?b' });
    expect(splitTarget('https://example.com/a', 'example.co')).toEqual({ origin: 'https://example.com', path: '/a', query: '' });
    expect(splitTarget('http://h/a', null)).toEqual({ origin: 'http://h', path: '/a', query: '' });
  });
});

describe('checkPath', () => {
  it.each(['/api/../x', '/api/%2e%2e/x', '/api/..%2fsecret', '/api/%2E%2e/x', '/api/.%2e/x', '/./x', '/api/..', '/api/..%5cx', '/api/..\\x', '/api/..;/admin', '/api/.;x/y'])(
    'refuses %s',
    (path) => expect(checkPath(path).ok).toBe(false),
  );
  it.each(['/api/x', '/api/...', '/api/.well-known/x', '/api/a..b', '/api/group%2Fproject', '/api/x;v=1', '/api/...;x'])('allows %s', (path) => {
    expect(checkPath(path).ok).toBe(true);
  });
  it.each(['/', '/api/x.json', '/a/b.c/d..e', '/x;y=1/z'])('passes %s on as sent', (path) => expect(checkPath(path)).toEqual({ ok: true, path }));
  it.each(['/api/%zz', '/api/%', '/api/%4', '/api/x%2'])('refuses the malformed escape in %s', (path) =>
    expect(checkPath(path)).toEqual({ ok: false, reason: 'malformed percent-encoding in path' }),
  );
  it.each(['/api/caf%E9', '/api/%FF%FE', '/api/%C3%A9t%C3%A9', '/api/%e9'])('passes escapes of any byte, as sent: %s', (path) => {
    expect(checkPath(path)).toEqual({ ok: true, path });
  });
  it.each(['/api/%C0%AE%C0%AE/x', '/api/%c0%af', '/api/..%C1%9C', '/api/%E0%80%AE', '/api/%F0%80%80%AE'])('refuses overlong UTF-8 in %s', (path) =>
    expect(checkPath(path)).toEqual({ ok: false, reason: 'overlong UTF-8 escapes in path' }),
  );
  it('finds dot segments among other non-UTF-8 escapes', () => expect(checkPath('/api/%E9/%2e%2e/x').ok).toBe(false));
  it('decodes unreserved escapes only', () => {
    expect(checkPath('/%61pi/%7Euser/a%2Fb%20c')).toEqual({ ok: true, path: '/api/~user/a%2Fb%20c' });
  });
});

describe('routePathForm', () => {
  it('writes a configured path as browsers send it', () => {
    expect(routePathForm('/café')).toBe('/caf%C3%A9');
    expect(routePathForm('/文档/a b')).toBe('/%E6%96%87%E6%A1%A3/a%20b');
    expect(routePathForm('/a{b}"`<>')).toBe('/a%7Bb%7D%22%60%3C%3E');
    expect(routePathForm('/caf%c3%a9/%7euser')).toBe('/caf%C3%A9/~user');
    expect(routePathForm('/api/v1')).toBe('/api/v1');
    expect(routePathForm('/x\uD800')).toBe('/x%EF%BF%BD');
  });
});

describe('findRoute', () => {
  it('compares escapes whatever their hex case, and configured paths in their encoded form', () => {
    const gateway = gatewayOf([{ path: '/café', origin: 'https://a.example' }, { path: '/', origin: 'https://b.example' }]);
    for (const path of ['/caf%C3%A9', '/caf%c3%a9/menu', '/caf%C3%a9?x']) expect(findRoute(gateway, 'h', path.split('?')[0]!)?.path).toBe('/café');
    expect(findRoute(gateway, 'h', '/caf%C3%A9s')?.path).toBe('/');
  });
});

describe('prefixMatches', () => {
  it('matches at segment boundaries only', () => {
    expect(prefixMatches('/api', '/api')).toBe(true);
    expect(prefixMatches('/api', '/api/')).toBe(true);
    expect(prefixMatches('/api', '/api/x')).toBe(true);
    expect(prefixMatches('/api', '/apix')).toBe(false);
    expect(prefixMatches('', '/anything')).toBe(true);
  });
});

describe('hostMatches', () => {
  it('matches exact names with or without port, and *. suffixes', () => {
    expect(hostMatches(undefined, 'x')).toBe(true);
    expect(hostMatches({ exact: 'a.example.com' }, 'A.example.com:8443')).toBe(true);
    expect(hostMatches({ exact: 'a.example.com' }, 'b.example.com')).toBe(false);
    expect(hostMatches({ suffix: '.example.com' }, 'x.example.com')).toBe(true);
    expect(hostMatches({ suffix: '.example.com' }, 'example.com')).toBe(false);
    expect(hostMatches({ suffix: '.example.com' }, 'evilexample.com')).toBe(false);
  });
});

describe('joinUpstream', () => {
  const upstream = { origin: 'https://api.example.com', base: '/v1' };
  it('joins with exactly one slash', () => {
    expect(joinUpstream(upstream, '/users', '?x=1')).toBe('https://api.example.com/v1/users?x=1');
    expect(joinUpstream(upstream, '', '')).toBe('https://api.example.com/v1');
    expect(joinUpstream({ origin: 'https://a.example', base: '' }, '', '?q')).toBe('https://a.example/?q');
  });
  it('never leaves the origin', () => {
    expect(joinUpstream({ origin: 'https://a.example', base: '' }, '//evil.com/x', '')).toBe('https://a.example/evil.com/x');
    expect(joinUpstream(upstream, '///evil.com/x', '')).toBe('https://api.example.com/v1/evil.com/x');
    expect(joinUpstream({ origin: 'https://a.example', base: '' }, '/@evil.com', '')).toBe('https://a.example/@evil.com');
  });
});

describe('hostPreservingTarget', () => {
  it('asks for the client host and resolves it to the origin', () => {
    expect(hostPreservingTarget('https://origin.internal:8443/v1/x?q=1', 'www.example.com:443')).toEqual({
      url: 'https://www.example.com:8443/v1/x?q=1',
      resolveOverride: 'origin.internal',
    });
  });
  it('changes nothing when the hosts agree or the client sent none', () => {
    expect(hostPreservingTarget('https://a.example/x', 'A.example')).toEqual({ url: 'https://a.example/x' });
    expect(hostPreservingTarget('https://a.example/x', null)).toEqual({ url: 'https://a.example/x' });
  });
});

describe('gatewayPathFor', () => {
  const { routes } = gatewayOf([
    { path: '/api', origin: 'https://api.example.com/v1', sticky: false },
    { path: '/api2', origin: 'https://api.example.com/v1/two', sticky: false },
    { path: '/same', origin: 'https://api.example.com/v1', sticky: false },
    { path: '/site', origin: 'http://site.example:8080', stripPrefix: false, sticky: false },
  ]);
  const map = (url: string) => gatewayPathFor(new URL(url), routes);
  it('maps to the route with the longest origin + base prefix', () => {
    expect(map('https://api.example.com/v1/users?x=1#top')).toBe('/api/users?x=1#top');
    expect(map('https://api.example.com/v1/two/z')).toBe('/api2/z');
    expect(map('https://api.example.com/v1')).toBe('/api');
  });
  it('does not map across segment boundaries, schemes or ports', () => {
    expect(map('https://api.example.com/v10/x')).toBeNull();
    expect(map('http://api.example.com/v1/x')).toBeNull();
    expect(map('http://site.example/site/x')).toBeNull();
    expect(map('https://foreign.example/v1/x')).toBeNull();
  });
  it('maps stripPrefix:false routes only under their path', () => {
    expect(map('http://site.example:8080/site/page')).toBe('/site/page');
    expect(map('http://site.example:8080/elsewhere')).toBeNull();
  });
  it('keeps the path of a URL no route serves at the origin of a sticky route (sticky serves it there)', () => {
    const sticky = gatewayOf([
      { path: '/docs', origin: 'http://o.example/en' },
      { path: '/raw', origin: 'http://raw.example/base', stripPrefix: false },
      { path: '/', origin: 'http://catch.example/base' },
      { path: '/half', origin: 'http://half.example/a', sticky: false },
      { path: '/half2', origin: 'http://half.example/b' },
    ]).routes;
    const mapSticky = (url: string) => gatewayPathFor(new URL(url), sticky);
    expect(mapSticky('http://o.example/en/index.html')).toBe('/docs/index.html');
    expect(mapSticky('http://o.example/style/s.css?v=1#x')).toBe('/style/s.css?v=1#x');
    expect(mapSticky('http://o.example/english')).toBe('/english');
    expect(mapSticky('http://o.example')).toBe('/');
    expect(mapSticky('http://raw.example/base/other')).toBe('/base/other');
    expect(mapSticky('http://raw.example/base/raw/x')).toBe('/raw/x');
    // The catch-all serves everything under its base path: nothing is outside a route there.
    expect(mapSticky('http://catch.example/other')).toBeNull();
    // One sticky route at the origin is enough.
    expect(mapSticky('http://half.example/c')).toBe('/c');
    expect(mapSticky('https://o.example/style/s.css')).toBeNull();
  });
});
