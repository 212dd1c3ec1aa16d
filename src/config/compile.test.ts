// compileConfig: every rule of routes.json gives a message naming its JSON path.
import { describe, expect, it } from 'vitest';
import { compileConfig, type CompileResult, type Gateway } from './compile.ts';

const ORIGIN = 'https://api.example.com';

/** The problems of a config that must not compile. */
function problems(config: unknown, env: Record<string, unknown> = {}): string[] {
  const result = compileConfig(config, env);
  if (result.ok) throw new Error('expected the config to be rejected');
  return result.problems;
}

function compiled(config: unknown, env: Record<string, unknown> = {}): Gateway {
  const result: CompileResult = compileConfig(config, env);
  if (!result.ok) throw new Error(`expected the config to compile:\n${result.problems.join('\n')}`);
  return result.gateway;
}

const one = (route: Record<string, unknown>) => ({ routes: [route] });

describe('validation messages name the JSON path', () => {
  it.each([
    ['a missing path', { origin: ORIGIN }, 'routes[0].path: is required'],
    ['a path without a leading slash', { path: 'api', origin: ORIGIN }, 'routes[0].path: must start with "/" and hold no query, fragment or space'],
    ['a path with a query', { path: '/api?x=1', origin: ORIGIN }, 'routes[0].path: must start with "/" and hold no query, fragment or space'],
    ['a relative origin', { path: '/api', origin: 'api.example.com' }, 'routes[0].origin: must be an absolute http(s) URL with no query or fragment'],
    ['an origin that is not http(s)', { path: '/api', origin: 'ftp://files.example.com' }, 'routes[0].origin: must be an absolute http(s) URL with no query or fragment'],
    ['an origin with a query', { path: '/api', origin: `${ORIGIN}/v1?key=1` }, 'routes[0].origin: must be an absolute http(s) URL with no query or fragment'],
    ['an origin with a fragment', { path: '/api', origin: `${ORIGIN}/#top` }, 'routes[0].origin: must be an absolute http(s) URL with no query or fragment'],
    ['an origin with credentials', { path: '/api', origin: 'https://user:pw@api.example.com' }, 'routes[0].origin: must be an absolute http(s) URL with no query or fragment'],
    ['an origin the URL parser refuses (port past 65535)', { path: '/api', origin: 'https://api.example.com:80800/v1' }, 'routes[0].origin: is not a valid URL: check its host and port'],
    ['an origin with an unclosed IPv6 address', { path: '/api', origins: [ORIGIN, 'https://[::1'] }, 'routes[0].origins[1]: is not a valid URL: check its host and port'],
    ['a header value with a line break', { path: '/api', origin: ORIGIN, headers: { request: { set: { 'X-A': 'a\r\nX-B: b' } } } }, 'routes[0].headers.request.set.X-A: a header value cannot hold a line break or NUL (check the value or the secret it names)'],
    ['a Host set on requests (the runtime sends the URL host)', { path: '/api', origin: ORIGIN, headers: { request: { set: { host: 'intranet.corp' } } } }, 'routes[0].headers.request.set.host: Workers cannot set Host (fetch sends the origin\'s host); use "preserveHost": true to send the client\'s Host'],
    ['an empty origins list', { path: '/api', origins: [] }, 'routes[0].origins: must list at least one origin'],
    ['a bad origin in origins', { path: '/api', origins: [ORIGIN, 'nope'] }, 'routes[0].origins[1]: must be an absolute http(s) URL with no query or fragment'],
    ['a header name with a space', { path: '/api', origin: ORIGIN, headers: { request: { set: { 'Bad Name': 'x' } } } }, 'routes[0].headers.request.set.Bad Name: must be a valid HTTP header name'],
    ['a header name with a colon to remove', { path: '/api', origin: ORIGIN, headers: { response: { remove: ['Server:'] } } }, 'routes[0].headers.response.remove[0]: must be a valid HTTP header name'],
    ['an unknown field', { path: '/api', origin: ORIGIN, stripprefix: false }, 'routes[0].stripprefix: unknown field (did you mean "stripPrefix"?)'],
    ['a misspelt field', { path: '/api', orgin: ORIGIN }, 'routes[0].orgin: unknown field (did you mean "origin"?)'],
    ['a misspelt cors field', { path: '/api', origin: ORIGIN, cors: { origin: ['*'] } }, 'routes[0].cors.origin: unknown field (did you mean "origins"?)'],
    ['a misspelt substitution field', { path: '/api', origin: ORIGIN, substitutions: [{ match: 'a', replace: 'b', flag: 'g' }] }, 'routes[0].substitutions[0].flag: unknown field (did you mean "flags"?)'],
    ['an unknown field deep down', { path: '/api', origin: ORIGIN, headers: { request: { add: {} } } }, 'routes[0].headers.request.add: unknown field'],
    ['a string timeout', { path: '/api', origin: ORIGIN, timeout: '30s' }, 'routes[0].timeout: must be a number, got a string'],
    ['a fractional timeout', { path: '/api', origin: ORIGIN, timeout: 1.5 }, 'routes[0].timeout: must be a whole number'],
    ['a zero timeout', { path: '/api', origin: ORIGIN, timeout: 0 }, 'routes[0].timeout: must be at least 1 ms'],
    ['a string boolean', { path: '/api', origin: ORIGIN, stripPrefix: 'false' }, 'routes[0].stripPrefix: must be a boolean, got a string'],
    ['a cors of the wrong type', { path: '/api', origin: ORIGIN, cors: 'yes' }, 'routes[0].cors: must be a boolean or an object, got a string'],
    ['a bad field inside a cors object', { path: '/api', origin: ORIGIN, cors: { maxAge: -1 } }, 'routes[0].cors.maxAge: must be >=0'],
    ['a header value that is not a string', { path: '/api', origin: ORIGIN, headers: { request: { set: { 'X-Id': 7 } } } }, 'routes[0].headers.request.set.X-Id: must be a string, got a number'],
    ['a negative cache ttl', { path: '/api', origin: ORIGIN, cache: { ttl: -1 } }, 'routes[0].cache.ttl: must be >=0'],
    ['an unknown cache field', { path: '/api', origin: ORIGIN, cache: { staleWhileRevalidat: 5 } }, 'routes[0].cache.staleWhileRevalidat: unknown field (did you mean "staleWhileRevalidate"?)'],
    ['a cache query mode that does not exist', { path: '/api', origin: ORIGIN, cache: { query: 'some' } }, 'routes[0].cache.query: must be "all", "none" or a list of parameter names'],
    ['a cache cookies mode that does not exist', { path: '/api', origin: ORIGIN, cache: { cookies: 'keep' } }, 'routes[0].cache.cookies: must be "bypass" or "ignore", got a string'],
    ['a cache vary header name with a space', { path: '/api', origin: ORIGIN, cache: { vary: ['X Tenant'] } }, 'routes[0].cache.vary[0]: must be a valid HTTP header name'],
    ['a fractional staleIfError', { path: '/api', origin: ORIGIN, cache: { staleIfError: 1.5 } }, 'routes[0].cache.staleIfError: must be a whole number'],
    ['bad regex flags', { path: '/api', origin: ORIGIN, substitutions: [{ match: 'a', replace: 'b', flags: 'x' }] }, 'routes[0].substitutions[0].flags: must be regex flags from "gimsuy"'],
  ])('%s', (_name, route, message) => {
    expect(problems(one(route))).toContain(message);
  });

  it('reports a route that is not an object, and a missing routes list', () => {
    expect(problems({ routes: [{ path: '/a', origin: ORIGIN }, null, 'x'] })).toEqual([
      'routes[1]: must be an object, got null',
      'routes[2]: must be an object, got a string',
    ]);
    expect(problems({})).toEqual(['routes: is required']);
    expect(problems({ routes: {} })).toEqual(['routes: must be an array, got an object']);
    expect(problems('"routes"')).toEqual(['(root): must be an object, got a string']);
  });

  it('reports unknown top-level fields and a bad id', () => {
    expect(problems({ routes: [], rotues: [] })).toEqual(['rotues: unknown field (did you mean "routes"?)']);
    expect(problems({ routes: [], comment: 'x' })).toEqual(['comment: unknown field']);
    expect(problems({ id: 'my gateway', routes: [] })).toEqual(['id: must be a token (letters, digits, -._~)']);
  });

  it('lists every problem, not just the first', () => {
    const list = problems({ routes: [{ path: 'a', origin: 'b' }, { origin: ORIGIN, timeout: 'x' }] });
    expect(list).toEqual([
      'routes[0].path: must start with "/" and hold no query, fragment or space',
      'routes[0].origin: must be an absolute http(s) URL with no query or fragment',
      'routes[1].path: is required',
      'routes[1].timeout: must be a number, got a string',
    ]);
  });

  it('lists binding problems beside shape problems, in the same pass', () => {
    const config = {
      routes: [
        { path: '/a', origin: ORIGIN },
        { path: '/b', origin: 'ftp://b', headers: { response: { set: { 'X-Tenant': '${TENANT}' } } }, rateLimit: { binding: 'B_LIMITER', period: 5 } },
        { path: '/c', origin: ORIGIN, substitutions: [{ match: '(', replace: '' }] },
        { path: '/d', origin: ORIGIN, headers: { request: { set: { Authorization: 'Bearer ${API_TOKEN}' } } } },
        { path: '/e', origin: ORIGIN, timeout: 'x', access: { auth: { type: 'bearer', credential: '${GATE}' } } },
      ],
    };
    expect(problems(config)).toEqual([
      'routes[1].origin: must be an absolute http(s) URL with no query or fragment',
      'routes[1].rateLimit.period: must be 10 or 60 (the binding\'s period)',
      'routes[4].timeout: must be a number, got a string',
      'routes[1].headers.response.set.X-Tenant: ${TENANT} has no binding named TENANT (add a var or `wrangler secret put TENANT`)',
      'routes[2].substitutions[0].match: not a valid regular expression (Unterminated group)',
      'routes[3].headers.request.set.Authorization: ${API_TOKEN} has no binding named API_TOKEN (add a var or `wrangler secret put API_TOKEN`)',
      'routes[4].access.auth.credential: ${GATE} has no binding named GATE (add a var or `wrangler secret put GATE`)',
      'routes[1].rateLimit.binding: no rate limiting binding named B_LIMITER (add a [[ratelimits]] entry with name = "B_LIMITER" to wrangler.toml)',
    ]);
    // Bound, they are no problem; and a route that is no object has nothing to look up.
    expect(problems({ routes: [...config.routes, null] }, { TENANT: 't', API_TOKEN: 'k', GATE: 'g', B_LIMITER: { limit: async () => ({ success: true }) } })).toEqual([
      'routes[1].origin: must be an absolute http(s) URL with no query or fragment',
      'routes[1].rateLimit.period: must be 10 or 60 (the binding\'s period)',
      'routes[4].timeout: must be a number, got a string',
      'routes[5]: must be an object, got null',
      'routes[2].substitutions[0].match: not a valid regular expression (Unterminated group)',
    ]);
  });

  it('needs exactly one of origin or origins', () => {
    expect(problems(one({ path: '/api' }))).toEqual(['routes[0]: needs exactly one of "origin" or "origins"']);
    expect(problems(one({ path: '/api', origin: ORIGIN, origins: [ORIGIN] }))).toEqual(['routes[0]: needs exactly one of "origin" or "origins"']);
  });

  it('rejects a substitution that is not a valid regular expression', () => {
    const [message] = problems(one({ path: '/api', origin: ORIGIN, substitutions: [{ match: 'sk_live_x(', replace: '' }] }));
    expect(message).toBe('routes[0].substitutions[0].match: not a valid regular expression (Unterminated group)');
  });

  it('rejects two routes with the same path and host, however the path is spelled', () => {
    expect(problems({ routes: [{ path: '/api', origin: ORIGIN }, { path: '/api/', origin: ORIGIN }] })).toEqual([
      'routes[1].path: duplicates routes[0] (same path and host), so it could never match',
    ]);
    // The same path for different hosts is two routes.
    compiled({ routes: [{ path: '/api', origin: ORIGIN }, { path: '/api', host: 'a.example.com', origin: ORIGIN }] });
  });

  it('never echoes a rejected value', () => {
    const value = 'hunter2-inline-token';
    const list = problems(one({ path: '/api', origin: ORIGIN, timeout: value, cors: value, headers: { request: { set: { 'X-Key': 42 } } }, access: { auth: { type: value, credential: '${KEY}' } } }));
    expect(list.length).toBeGreaterThanOrEqual(4);
    expect(list.join('\n')).not.toContain(value);
    expect(list.join('\n')).not.toContain('42');
  });
});

describe('${NAME} references', () => {
  const withToken = one({
    path: '/api',
    origin: ORIGIN,
    headers: { request: { set: { Authorization: 'Bearer ${API_TOKEN}', 'X-Both': '${A}-${B}' } } },
  });

  it('are replaced by string bindings, and the values remembered as secrets', () => {
    const [route] = compiled(withToken, { API_TOKEN: 's3cr3t', A: 'one', B: 'two' }).routes;
    expect(route!.requestHeaders.set).toEqual([
      ['Authorization', 'Bearer s3cr3t'],
      ['X-Both', 'one-two'],
    ]);
    expect(route!.secrets).toEqual(expect.arrayContaining(['s3cr3t', 'one', 'two']));
  });

  it('set on responses are meant to be seen, so they are not secrets', () => {
    const [route] = compiled(one({ path: '/api', origin: ORIGIN, headers: { response: { set: { 'X-Api-Version': '${V}' } } } }), { V: '2' }).routes;
    expect(route!.responseHeaders.set).toEqual([['X-Api-Version', '2']]);
    expect(route!.secrets).toEqual([]);
  });

  it('resolve an access credential too', () => {
    const [route] = compiled(one({ path: '/api', origin: ORIGIN, access: { auth: { type: 'bearer', credential: '${GATE}' } } }), { GATE: 'g4te' }).routes;
    expect(route!.config.access?.auth?.credential).toBe('g4te');
    expect(route!.secrets).toContain('g4te');
  });

  it('are a config error naming the path and the binding when unbound', () => {
    expect(problems(withToken, { A: 'one', B: 'two' })).toEqual([
      'routes[0].headers.request.set.Authorization: ${API_TOKEN} has no binding named API_TOKEN (add a var or `wrangler secret put API_TOKEN`)',
    ]);
  });

  it('are never replaced by an empty string or a non-string binding', () => {
    expect(problems(withToken, { API_TOKEN: { nested: true }, A: 'one', B: 'two' })).toEqual([
      'routes[0].headers.request.set.Authorization: binding API_TOKEN must be a string',
    ]);
  });

  it('never put a bound value into a message', () => {
    const secret = 'sk_live_abcdef123456';
    const config = {
      routes: [
        { path: '/api', origin: ORIGIN, headers: { request: { set: { Authorization: 'Bearer ${API_TOKEN}', 'X-Other': '${MISSING}' } } } },
        { path: '/x', origin: ORIGIN, substitutions: [{ match: '(', replace: '${API_TOKEN}' }] },
      ],
    };
    const list = problems(config, { API_TOKEN: secret });
    expect(list).toHaveLength(2);
    expect(list.join('\n')).not.toContain(secret);
  });

  it('can be downgraded to warnings, for `npm run check`, which cannot see secrets', () => {
    const result = compileConfig(withToken, { A: 'one', B: 'two' }, { unboundBindings: 'warning' });
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([
      'routes[0].headers.request.set.Authorization: ${API_TOKEN} has no binding named API_TOKEN (add a var or `wrangler secret put API_TOKEN`)',
    ]);
  });
});

describe('JSON text', () => {
  const config = { id: 'edge-1', routes: [{ path: '/api', origin: `${ORIGIN}/v1`, timeout: 5000 }] };

  it('compiles the same as the object', () => {
    const fromText = compiled(JSON.stringify(config));
    const fromObject = compiled(config);
    expect(fromText).toEqual(fromObject);
    expect(fromText.id).toBe('edge-1');
    expect(fromText.routes[0]!.upstreams).toEqual([{ origin: ORIGIN, base: '/v1' }]);
  });

  it('reports where invalid JSON breaks', () => {
    expect(problems('{\n  "routes": [\n    { "path": "/a", }\n  ]\n}')).toEqual([
      '(root): not valid JSON: expected double-quoted property name at line 3 column 21',
    ]);
    expect(problems('{"routes": [')).toEqual(['(root): not valid JSON: it ends too early']);
  });

  it('never quotes the text around a JSON error (ROUTES may be a secret)', () => {
    const [message] = problems('{"routes": [], "token": sk_live_abcdef}');
    expect(message).toMatch(/^\(root\): not valid JSON/);
    expect(message).not.toContain('sk_live');
    const [trailing] = problems('{"routes": []} sk_live_abcdef');
    expect(trailing).toMatch(/^\(root\): not valid JSON: unexpected non-whitespace character after JSON at line 1 column 16$/);
  });
});

describe('defaults', () => {
  it('fill in what the spec promises', () => {
    const gateway = compiled(one({ path: '/api', origin: ORIGIN }));
    expect(gateway.id).toBe('switchyard');
    const [route] = gateway.routes;
    expect(route).toMatchObject({
      path: '/api',
      prefix: '/api',
      stripPrefix: true,
      preserveHost: false,
      timeout: 30000,
      rewriteLinks: true,
      upstreams: [{ origin: ORIGIN, base: '' }],
      substitutions: [],
      secrets: [],
      requestHeaders: { set: [], remove: [] },
      responseHeaders: { set: [], remove: [] },
    });
    expect(route!.host).toBeUndefined();
  });

  it('keep what the file says instead', () => {
    const [route] = compiled(one({ path: '/api/', origin: `${ORIGIN}/v1/`, stripPrefix: false, preserveHost: true, timeout: 1000, rewriteLinks: false })).routes;
    expect(route).toMatchObject({ prefix: '/api', stripPrefix: false, preserveHost: true, timeout: 1000, rewriteLinks: false, upstreams: [{ origin: ORIGIN, base: '/v1' }] });
  });

  it('compile substitutions with flags "g" and the text types', () => {
    const [route] = compiled(one({ path: '/', origin: ORIGIN, substitutions: [{ match: 'a+', replace: 'b' }] })).routes;
    expect(route!.substitutions[0]!.regex.flags).toBe('g');
    expect(route!.substitutions[0]!.contentTypes).toContain('text/html');
  });

  it('normalize hosts and header names to remove', () => {
    const [exact, wildcard] = compiled({
      routes: [
        { path: '/a', host: 'API.Example.com', origin: ORIGIN, headers: { request: { remove: ['Cookie'] } } },
        { path: '/b', host: '*.example.com', origin: ORIGIN },
      ],
    }).routes;
    expect(exact!.host).toEqual({ exact: 'api.example.com' });
    expect(exact!.requestHeaders.remove).toEqual(['cookie']);
    expect(wildcard!.host).toEqual({ suffix: '.example.com' });
  });
});

describe('match order', () => {
  it('puts the longest prefix first, host-bound before unbound, then file order', () => {
    const gateway = compiled({
      routes: [
        { path: '/', origin: ORIGIN },
        { path: '/api', origin: ORIGIN },
        { path: '/api/admin', origin: ORIGIN },
        { path: '/api', host: 'b.example.com', origin: ORIGIN },
        { path: '/api', host: 'a.example.com', origin: ORIGIN },
        { path: '/web', origin: ORIGIN },
      ],
    });
    expect(gateway.matchOrder.map((route) => `${route.host ? `${route.config.host} ` : ''}${route.path}`)).toEqual([
      '/api/admin',
      'b.example.com /api',
      'a.example.com /api',
      '/api',
      '/web',
      '/',
    ]);
    expect(gateway.routes.map((route) => route.index)).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('header values the runtime would refuse', () => {
  it('are config errors, also when a secret brings the line break, and the secret is not echoed', () => {
    const config = { routes: [{ path: '/api', origin: ORIGIN, headers: { request: { set: { Authorization: 'Bearer ${TOKEN}' } } } }] };
    const result = compileConfig(config, { TOKEN: 'sk-live-1234\n' });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems).toEqual(['routes[0].headers.request.set.Authorization: a header value cannot hold a line break or NUL (check the value or the secret it names)']);
    expect(problems.join()).not.toContain('sk-live');
  });
});
