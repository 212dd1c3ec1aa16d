import { describe, expect, it } from 'vitest';
import { gatewayOf } from '../test-routes.ts';
import { compileConfig } from './compile.ts';
import { isBroadPattern, isPrivateIp, isPrivateName, safetyWarnings } from './warnings.ts';

const warn = (routes: unknown[], env: Record<string, unknown> = {}) => safetyWarnings(gatewayOf(routes, env));
const ORIGIN = 'https://api.example.com';
const withKey = { headers: { request: { set: { 'X-Api-Key': '${API_KEY}', 'User-Agent': 'switchyard' } } } };

describe('an injected binding any website can use', () => {
  it('is named when CORS answers any origin or a pattern, with no access.auth and no rateLimit', () => {
    for (const cors of [true, {}, { origins: ['*'] }, { origins: ['https://app.example.com', 'https://*.example.com'] }]) {
      expect(warn([{ path: '/api', origin: ORIGIN, cors, ...withKey }], { API_KEY: 'k' }), JSON.stringify(cors)).toEqual([
        'routes[0].cors: injects a binding (headers.request.set.X-Api-Key) and answers CORS for any origin or a pattern, with no access.auth and no rateLimit: ' +
          "any website can have its visitors' browsers call the origin with it (and spend it); list the sites that may in cors.origins, or add access.auth or a rateLimit",
      ]);
    }
    // Unbound too: `npm run check` cannot see secrets.
    const unbound = compileConfig({ routes: [{ path: '/api', origin: ORIGIN, cors: true, ...withKey }] }, {}, { unboundBindings: 'warning' });
    expect(unbound.ok && safetyWarnings(unbound.gateway)).toHaveLength(1);
  });

  it('is not named with exact origins, access.auth, a rateLimit, no CORS, or nothing injected', () => {
    const env = { API_KEY: 'k', GATE: 'g', LIMITER: { limit: async () => ({ success: true }) } };
    expect(warn([{ path: '/a', origin: ORIGIN, cors: { origins: ['https://app.example.com'] }, ...withKey }], env)).toEqual([]);
    expect(warn([{ path: '/a', origin: ORIGIN, cors: true, access: { auth: { type: 'bearer', credential: '${GATE}' } }, ...withKey }], env)).toEqual([]);
    expect(warn([{ path: '/a', origin: ORIGIN, cors: true, rateLimit: { binding: 'LIMITER' }, ...withKey }], env)).toEqual([]);
    expect(warn([{ path: '/a', origin: ORIGIN, ...withKey }], env)).toEqual([]);
    expect(warn([{ path: '/a', origin: ORIGIN, cors: true, headers: { request: { set: { 'User-Agent': 'x' } }, response: { set: { 'X-Key': '${API_KEY}' } } } }], env)).toEqual([]);
  });

  it('never names the value', () => {
    const [warning] = warn([{ path: '/api', origin: ORIGIN, cors: true, ...withKey }], { API_KEY: 'sk_live_secret_value' });
    expect(warning).not.toContain('sk_live');
    expect(warning).not.toContain('API_KEY');
  });
});

describe('an origin the edge cannot fetch', () => {
  it('names an IP address (error 1003) and a private or loopback one, in origin and origins', () => {
    expect(warn([{ path: '/a', origin: 'http://203.0.113.7:8080' }, { path: '/b', origins: ['https://b.example.com', 'http://127.1', 'http://[::1]:3000'] }], {})).toEqual([
      'routes[0].origin: is an IP address, which Cloudflare refuses to fetch (error 1003): this route works only under npm run serve or npm run dev; give the origin a host name (a DNS record) to deploy it',
      "routes[1].origins[1]: is a private or loopback address or name, which Cloudflare's network cannot reach: this route works only under npm run serve or npm run dev; reach it through a public host name or a Cloudflare Tunnel to deploy it",
      "routes[1].origins[2]: is a private or loopback address or name, which Cloudflare's network cannot reach: this route works only under npm run serve or npm run dev; reach it through a public host name or a Cloudflare Tunnel to deploy it",
    ]);
  });

  it('knows private ranges and names', () => {
    for (const host of ['10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '127.0.0.1', '169.254.1.1', '100.64.0.1', '0.0.0.0', '[::1]', '[fd00::1]', '[fe80::1]', '[::ffff:7f00:1]'])
      expect(isPrivateIp(host), host).toBe(true);
    for (const host of ['8.8.8.8', '172.32.0.1', '100.128.0.1', '[2001:db8::1]', '[::ffff:808:808]']) expect(isPrivateIp(host), host).toBe(false);
    for (const host of ['localhost', 'app.localhost', 'intranet', 'nas.local', 'db.internal', 'router.home.arpa', 'wiki.corp', 'localhost.'])
      expect(isPrivateName(host), host).toBe(true);
    for (const host of ['example.com', 'local.example.com', 'internal.example.org']) expect(isPrivateName(host), host).toBe(false);
  });

  it('says nothing of public host names', () => {
    expect(warn([{ path: '/a', origin: ORIGIN }])).toEqual([]);
  });
});

describe('a sticky route with a base path', () => {
  it('is named while sticky is the default', () => {
    expect(warn([{ path: '/docs', origin: `${ORIGIN}/en` }])).toEqual([
      "routes[0].sticky: is on by default, and a sticky route's pages reach its whole origin, not only the base path: " +
        'set "sticky": false to keep this route under its base path (pages then cannot load root-relative URLs outside it), or "sticky": true to keep it so',
    ]);
  });

  it('is not named when sticky is said either way, without a base path, or for the catch-all', () => {
    expect(warn([{ path: '/docs', origin: `${ORIGIN}/en`, sticky: true }])).toEqual([]);
    expect(warn([{ path: '/docs', origin: `${ORIGIN}/en`, sticky: false }])).toEqual([]);
    expect(warn([{ path: '/docs', origin: ORIGIN }])).toEqual([]);
    expect(warn([{ path: '/', origin: `${ORIGIN}/en` }])).toEqual([]);
  });
});

describe('credentials for any origin or a broad pattern', () => {
  it('names "*" (said, or by default) and each broad pattern', () => {
    expect(warn([{ path: '/a', origin: ORIGIN, cors: { credentials: true } }, { path: '/b', origin: ORIGIN, cors: { origins: ['*'], credentials: true } }])).toEqual([
      `routes[0].cors.credentials: with any origin ("*"), every website can read answers made with its visitors' cookies and credentials; list exact origins, or a pattern under a domain you control such as https://*.example.com`,
      `routes[1].cors.credentials: with any origin ("*"), every website can read answers made with its visitors' cookies and credentials; list exact origins, or a pattern under a domain you control such as https://*.example.com`,
    ]);
    expect(warn([{ path: '/a', origin: ORIGIN, cors: { origins: ['https://app.example.com', 'https://*', 'http://localhost:*'], credentials: true } }])).toEqual([
      `routes[0].cors.origins[1]: is so broad a pattern that sites anyone can register match it, and with credentials they read answers made with their visitors' cookies; list exact origins, or a pattern under a domain you control such as https://*.example.com`,
    ]);
  });

  it('says nothing without credentials', () => {
    expect(warn([{ path: '/a', origin: ORIGIN, cors: { origins: ['https://*'] } }])).toEqual([]);
  });

  it('tells broad patterns from narrow ones', () => {
    for (const pattern of ['https://*', 'http://*:*', 'https://*.com', 'https://*example.com', 'https://example.*', 'https://app.*.com']) expect(isBroadPattern(pattern), pattern).toBe(true);
    for (const pattern of ['https://*.example.com', 'https://app-*.example.com', 'http://localhost:*', 'http://127.0.0.1:*', 'https://a.example.com']) expect(isBroadPattern(pattern), pattern).toBe(false);
  });
});
