// The observability fields of routes.json: defaults, and a message naming the JSON path for
// every mistake (never the value: credentials are secrets).
import { describe, expect, it } from 'vitest';
import { compileConfig, type Gateway } from '../config/compile.ts';

const routes = [{ path: '/api', origin: 'https://api.example.com' }];

function problems(config: Record<string, unknown>, env: Record<string, unknown> = {}): string[] {
  const result = compileConfig({ routes, ...config }, env);
  if (result.ok) throw new Error('expected the config to be rejected');
  return result.problems;
}

function compiled(config: Record<string, unknown>, env: Record<string, unknown> = {}): { gateway: Gateway; warnings: string[] } {
  const result = compileConfig({ routes, ...config }, env);
  if (!result.ok) throw new Error(`expected the config to compile:\n${result.problems.join('\n')}`);
  return result;
}

describe('observability settings', () => {
  it('default to ids in X-Request-Id (not trusted), every request logged without queries, Server-Timing on, no status page', () => {
    expect(compiled({}).gateway.observe).toEqual({
      requestId: { header: 'x-request-id', trustIncoming: false },
      log: { requests: 'all', sample: 1, query: false },
      serverTiming: true,
      admin: null,
      secrets: [],
    });
  });

  it('take "log" as a word or an object', () => {
    expect(compiled({ log: 'errors' }).gateway.observe.log).toEqual({ requests: 'errors', sample: 1, query: false });
    expect(compiled({ log: { sample: 0.1, query: true } }).gateway.observe.log).toEqual({ requests: 'all', sample: 0.1, query: true });
    expect(compiled({ log: { query: true } }).warnings).toContain('log.query: query strings are logged, and they often hold tokens or personal data');
  });

  it('compile the status page with its credential resolved, and keep that credential out of logs', () => {
    const { gateway, warnings } = compiled({ admin: { auth: { type: 'bearer', credential: '${ADMIN_TOKEN}' } } }, { ADMIN_TOKEN: 'tok-123456789' });
    expect(gateway.observe.admin).toMatchObject({ path: '/_switchyard', auth: { type: 'bearer', credential: 'tok-123456789' }, access: null });
    expect(gateway.observe.secrets).toEqual(['tok-123456789']);
    expect(warnings).toContain('admin.allowIps: not set, so the status page answers any address that has the credential');
  });

  it('gather every injected value for the log to mask', () => {
    const { gateway } = compiled(
      { routes: [{ path: '/a', origin: 'https://a.example', headers: { request: { set: { 'X-Key': '${KEY}' }, remove: [] } } }, { path: '/b', origin: 'https://b.example', access: { auth: { type: 'bearer', credential: '${GATE}' } } }] },
      { KEY: 'key-value-1234', GATE: 'gate-value-5678' },
    );
    expect(gateway.observe.secrets).toEqual(['key-value-1234', 'gate-value-5678']);
  });

  it('add the id header and Server-Timing to a CORS route that lists its exposed headers', () => {
    const cors = (config: Record<string, unknown>) => compiled({ routes: [{ path: '/a', origin: 'https://a.example', cors: { exposeHeaders: ['X-Total', 'Server-Timing'] } }], ...config }).gateway.routes[0]!.cors!.exposeHeaders;
    expect(cors({})).toEqual(['X-Total', 'Server-Timing', 'x-request-id']);
    expect(cors({ serverTiming: false, requestId: { header: 'X-Trace' } })).toEqual(['X-Total', 'Server-Timing', 'x-trace']);
  });

  it.each([
    ['a status page without auth', { admin: { path: '/status' } }, 'admin.auth: is required'],
    ['a status page credential with no binding', { admin: { auth: { type: 'basic', credential: '${OPS}' } } }, 'admin.auth.credential: ${OPS} has no binding named OPS (add a var or `wrangler secret put OPS`)'],
    ['a status page credential that is not a reference', { admin: { auth: { type: 'bearer', credential: 'hunter2' } } }, 'admin.auth.credential: must reference a binding as ${NAME}'],
    ['an unknown auth type', { admin: { auth: { type: 'digest', credential: '${OPS}' } } }, 'admin.auth.type: must be "bearer" or "basic", got a string'],
    ['the status page at /', { admin: { path: '/', auth: { type: 'bearer', credential: '${OPS}' } } }, 'admin.path: must be a path such as "/_switchyard" (letters, digits, -._~; not "/")'],
    ['a status page path with a dot segment', { admin: { path: '/a/../b', auth: { type: 'bearer', credential: '${OPS}' } } }, 'admin.path: must be a path such as "/_switchyard" (letters, digits, -._~; not "/")'],
    ['a bad allowIps entry', { admin: { auth: { type: 'bearer', credential: '${OPS}' }, allowIps: ['10.0.0.0/33'] } }, 'admin.allowIps[0]: is not an IPv4 or IPv6 address or CIDR range'],
    ['an id header the gateway manages', { requestId: { header: 'Cookie' } }, 'requestId.header: cookie is a header the gateway or the runtime manages; use a name of its own such as X-Request-Id'],
    ['an id header of the forwarding family', { requestId: { header: 'X-Forwarded-Id' } }, 'requestId.header: x-forwarded-id is a header the gateway or the runtime manages; use a name of its own such as X-Request-Id'],
    ['an id header that is no header name', { requestId: { header: 'Request Id' } }, 'requestId.header: must be a valid HTTP header name'],
    ['a sample above 1', { log: { sample: 1.5 } }, 'log.sample: must be between 0 and 1'],
    ['an unknown log mode', { log: 'verbose' }, 'log: must be ("all" or "errors" or "none") or an object, got a string'],
    ['an unknown log.requests', { log: { requests: 'some' } }, 'log.requests: must be "all", "errors" or "none"'],
    ['a misspelt log field', { log: { sampel: 0.5 } }, 'log.sampel: unknown field (did you mean "sample"?)'],
    ['serverTiming that is not a boolean', { serverTiming: 'yes' }, 'serverTiming: must be a boolean, got a string'],
  ])('reject %s, naming the field', (_name, config, message) => {
    expect(problems(config, {})).toContain(message);
  });

  it('reject a status page credential that resolves to nothing', () => {
    expect(problems({ admin: { auth: { type: 'bearer', credential: '${OPS}' } } }, { OPS: '' })).toContain('admin.auth.credential: resolves to an empty value; the status page needs a credential');
  });
});
