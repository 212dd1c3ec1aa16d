// CORS for a route: which origins may read, preflights answered here (never upstream),
// and the Access-Control-* headers every response of a CORS route carries.
import type { CorsConfig } from './config/schema.ts';
import { HOP_BY_HOP } from './headers.ts';
import { DEFAULT_PORTS } from './url.ts';

export interface CorsPolicy {
  anyOrigin: boolean;
  /** exact origins, lower-case, default port dropped ('null' only when listed) */
  exact: Set<string>;
  patterns: RegExp[];
  credentials: boolean;
  /** upper-case; null: whatever the preflight asks for */
  methods: string[] | null;
  /** lower-case; null: echo what the preflight asks for */
  headers: string[] | null;
  /** null: the response's own header names */
  exposeHeaders: string[] | null;
  maxAge: number;
}

export const DEFAULT_MAX_AGE = 600;

export function compileCors(config: boolean | CorsConfig | undefined): CorsPolicy | null {
  if (!config) return null;
  const options: CorsConfig = config === true ? {} : config;
  const origins = options.origins ?? ['*'];
  const exact = new Set<string>();
  const patterns: RegExp[] = [];
  for (const origin of origins) {
    if (origin === '*') continue;
    if (origin.includes('*')) patterns.push(originPattern(origin));
    else exact.add(normalizeOrigin(origin));
  }
  const list = (values: string[] | undefined, normalize: (s: string) => string) =>
    !values || values.includes('*') ? null : values.map(normalize);
  return {
    anyOrigin: origins.includes('*'),
    exact,
    patterns,
    credentials: options.credentials ?? false,
    methods: list(options.methods, (m) => m.toUpperCase()),
    headers: list(options.headers, (h) => h.toLowerCase()),
    exposeHeaders: options.exposeHeaders && !options.exposeHeaders.includes('*') ? options.exposeHeaders : null,
    maxAge: options.maxAge ?? DEFAULT_MAX_AGE,
  };
}


/**
 * Browsers send an origin as the URL parser writes it: lower-case, no default port, an
 * international name in its `xn--` form, an IP address canonical (`[::1]`, `127.0.0.1` for
 * `127.1`). Configured ones are compared in that form.
 */
function normalizeOrigin(origin: string): string {
  if (origin === 'null') return origin;
  try {
    const url = new URL(origin);
    if (url.origin !== 'null') return url.origin;
  } catch {
    // Not a URL: compared as written, lower-case (it can only match nothing or itself).
  }
  return origin.toLowerCase();
}

/** A pattern's host in the parser's form too: its `*`s stand in as a label the parser keeps. */
function normalizeHostPattern(scheme: string, host: string): string {
  const stars = host.split('*').length - 1;
  try {
    const written = new URL(`${scheme}${host.replaceAll('*', WILDCARD_LABEL)}`).hostname;
    if (written.split(WILDCARD_LABEL).length - 1 === stars) return written.replaceAll(WILDCARD_LABEL, '*');
  } catch {
    // Left as written (lower-case): a host the parser refuses matches no browser's origin anyway.
  }
  return host;
}
const WILDCARD_LABEL = 'wildcard0x2a';

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const LABEL = '[a-z0-9](?:[a-z0-9-]*[a-z0-9])?';

/**
 * Anchored, so nothing leaks past the pattern: a leading `*.` is one or more whole DNS labels
 * (`https://*.example.com` matches `https://a.b.example.com`, never `https://evil-example.com`
 * or `https://example.com.evil.com`), a `*` as the port is digits, any other `*` stays inside
 * one label.
 */
export function originPattern(pattern: string): RegExp {
  const lower = pattern.toLowerCase();
  const [, scheme = '', written = '', port = null] = /^([a-z]+:\/\/)(.*?)(?::([0-9*]+))?$/.exec(lower) ?? [];
  const host = normalizeHostPattern(scheme, written);

  let hostSource: string;
  if (host.startsWith('*.')) hostSource = `${LABEL}(?:\\.${LABEL})*\\.${hostPart(host.slice(2))}`;
  else hostSource = hostPart(host);

  let portSource = '';
  if (port !== null) {
    portSource = port === '*' ? '(?::\\d{1,5})?' : `:${port.split('*').map(escapeRegex).join('\\d*')}`;
    // The default port never appears in a browser's Origin.
    if (port !== '*' && port === DEFAULT_PORTS[scheme.replace('//', '')]) portSource = '';
  }
  return new RegExp(`^${escapeRegex(scheme)}${hostSource}${portSource}$`);
}

function hostPart(host: string): string {
  return host
    .split('*')
    .map(escapeRegex)
    .join('[a-z0-9-]*');
}

/**
 * The Access-Control-Allow-Origin value for this request's Origin, or null when it may not
 * read. `null` (sandboxed frames, file:) is allowed only when listed; with credentials the
 * origin is echoed, since browsers refuse `*` there.
 */
export function allowedOrigin(policy: CorsPolicy, origin: string | null): string | null {
  if (origin === null) return policy.anyOrigin && !policy.credentials ? '*' : null;
  const normalized = origin.toLowerCase();
  if (normalized === 'null') return policy.exact.has('null') ? 'null' : null;
  const listed = policy.exact.has(normalized) || policy.patterns.some((pattern) => pattern.test(normalized));
  if (listed) return origin;
  if (policy.anyOrigin) return policy.credentials ? origin : '*';
  return null;
}

export function isPreflight(request: Request): boolean {
  return request.method === 'OPTIONS' && request.headers.has('origin') && request.headers.has('access-control-request-method');
}

export type PreflightVerdict =
  | { ok: true; headers: Headers }
  | { ok: false; reason: string; headers: Headers };

/** The gateway's answer to a preflight: allowed with the Allow-* headers, or refused without them. */
export function preflight(policy: CorsPolicy, request: Request): PreflightVerdict {
  const origin = request.headers.get('origin');
  const method = (request.headers.get('access-control-request-method') ?? '').trim();
  const requested = splitList(request.headers.get('access-control-request-headers')).map((h) => h.toLowerCase());
  const headers = new Headers({ vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers' });

  const allowOrigin = allowedOrigin(policy, origin);
  if (!allowOrigin) return { ok: false, reason: `origin ${origin} is not allowed by this route's cors.origins`, headers };
  if (policy.methods && !policy.methods.includes(method.toUpperCase())) {
    return { ok: false, reason: `method ${method} is not in this route's cors.methods (${policy.methods.join(', ')})`, headers };
  }
  if (policy.headers) {
    const refused = requested.filter((name) => !policy.headers!.includes(name));
    if (refused.length) {
      return { ok: false, reason: `request header(s) ${refused.join(', ')} not in this route's cors.headers`, headers };
    }
  }

  headers.set('access-control-allow-origin', allowOrigin);
  if (policy.credentials) headers.set('access-control-allow-credentials', 'true');
  // Browsers compare the method case-sensitively, and upper-case only the standard ones: a
  // `patch` the list allowed (as PATCH) is named as asked, or the browser refuses it.
  const allowMethods = policy.methods && !policy.methods.includes(method) ? [...policy.methods, method] : policy.methods;
  headers.set('access-control-allow-methods', allowMethods ? allowMethods.join(', ') : method);
  if (requested.length || policy.headers?.length) {
    headers.set('access-control-allow-headers', policy.headers ? policy.headers.join(', ') : requested.join(', '));
  }
  headers.set('access-control-max-age', String(policy.maxAge));
  return { ok: true, headers };
}

/**
 * Browsers never hand Set-Cookie to a page, exposed or not; hop-by-hop headers (Connection,
 * Keep-Alive, ...) are dropped before the response reaches it, so naming them exposes nothing.
 */
const NEVER_EXPOSED = new Set(['set-cookie', 'set-cookie2', ...HOP_BY_HOP]);

/**
 * Replaces whatever Access-Control-* the response had with this route's answer for `origin`,
 * in place. A disallowed origin gets none, so the browser keeps the body from the page.
 * `timing`: the page that may read the response may read its Server-Timing too, which
 * PerformanceResourceTiming shows a cross-origin page only with Timing-Allow-Origin.
 */
export function applyCors(policy: CorsPolicy, origin: string | null, headers: Headers, timing = false): void {
  for (const name of [...headers.keys()]) if (name.startsWith('access-control-')) headers.delete(name);
  addVary(headers, 'Origin');
  const allowOrigin = allowedOrigin(policy, origin);
  if (!allowOrigin) return;
  headers.set('access-control-allow-origin', allowOrigin);
  if (timing) headers.set('timing-allow-origin', allowOrigin);
  if (policy.credentials) headers.set('access-control-allow-credentials', 'true');
  const expose = policy.exposeHeaders ?? [...new Set(headers.keys())].filter((name) => !NEVER_EXPOSED.has(name) && !name.startsWith('access-control-'));
  if (expose.length) headers.set('access-control-expose-headers', expose.join(', '));
}

export function addVary(headers: Headers, name: string): void {
  const current = headers.get('vary');
  if (!current) return headers.set('vary', name);
  const names = splitList(current).map((n) => n.toLowerCase());
  if (names.includes('*') || names.includes(name.toLowerCase())) return;
  headers.set('vary', `${current}, ${name}`);
}

function splitList(value: string | null): string[] {
  return value ? value.split(',').map((item) => item.trim()).filter(Boolean) : [];
}
