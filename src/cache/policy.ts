// What a shared cache may store and for how long (RFC 9111), as pure functions over the
// request the origin saw and the response it gave. The route's `cache` field is compiled once.
import type { Route } from '../config/compile.ts';
import type { CacheConfig } from '../config/schema.ts';
import { SITE_COOKIE } from '../sticky.ts';

export interface CachePolicy {
  /** seconds of freshness for a response whose origin gave none */
  ttl: number;
  /** the route's ttl wins over the origin's own freshness */
  override: boolean;
  staleWhileRevalidate: number;
  staleIfError: number;
  /** 'all': every parameter, sorted; 'none'; or the names kept */
  query: 'all' | 'none' | ReadonlySet<string>;
  /** request headers that split the key, lower-case */
  vary: readonly string[];
  /** 'bypass': a request with a cookie is neither served from nor stored in the cache */
  cookies: 'bypass' | 'ignore';
  version: string;
  maxEntryBytes: number;
}

export const DEFAULT_MAX_ENTRY_BYTES = 8 * 1024 * 1024;

export function compileCache(config: boolean | CacheConfig | undefined): CachePolicy | null {
  if (!config) return null;
  const options: CacheConfig = config === true ? {} : config;
  return {
    ttl: options.ttl ?? 0,
    override: options.override ?? false,
    staleWhileRevalidate: options.staleWhileRevalidate ?? 0,
    staleIfError: options.staleIfError ?? 0,
    query: Array.isArray(options.query) ? new Set(options.query) : (options.query ?? 'all'),
    vary: (options.vary ?? []).map((name) => name.toLowerCase()),
    cookies: options.cookies ?? 'bypass',
    version: options.version ?? '',
    maxEntryBytes: options.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES,
  };
}

/** Cache-Control directives, names lower-case; a directive without a value maps to ''. */
export function parseCacheControl(value: string | null): Map<string, string> {
  const directives = new Map<string, string>();
  if (!value) return directives;
  // Commas inside a quoted value (`private="a, b"`) do not separate directives.
  for (const part of value.match(/(?:[^,"]|"(?:[^"\\]|\\.)*")+/g) ?? []) {
    const eq = part.indexOf('=');
    const name = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (!name || directives.has(name)) continue;
    directives.set(name, eq === -1 ? '' : part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1'));
  }
  return directives;
}

/** A delta-seconds value, or null when absent or malformed (RFC 9111 §1.2.2). */
function seconds(value: string | undefined): number | null {
  if (value === undefined || !/^\d+$/.test(value)) return null;
  return Math.min(Number(value), 2 ** 31);
}

/** Statuses a cache may store without explicit freshness (RFC 9110 §15.1). */
const CACHEABLE_BY_DEFAULT: ReadonlySet<number> = new Set([200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501]);

export interface Freshness {
  /** seconds the response is fresh for, counted from its age 0 */
  fresh: number;
  /** seconds past freshness it may be served while one request refreshes it */
  staleWhileRevalidate: number;
  /** seconds past freshness it may be served when the origin fails */
  staleIfError: number;
  /** age the response already had when it arrived (Age, and Date in the past) */
  initialAge: number;
  /** may answer a request carrying Authorization (public, s-maxage, must-revalidate) */
  shared: boolean;
}

export type Storability = ({ store: true } & Freshness) | { store: false; detail: string };

export interface ExchangeFacts {
  /** what reached the origin: a client's own Authorization or Cookie makes the answer personal */
  authorization: boolean;
  /** when the response arrived, ms since the epoch */
  now: number;
}

/**
 * Whether a GET response may be stored, and its lifetimes: RFC 9111 §3 for a shared cache,
 * with the route's ttl as nginx's proxy_cache_valid (freshness where the origin gave none).
 */
export function storability(response: Pick<Response, 'status' | 'headers'>, policy: CachePolicy, facts: ExchangeFacts): Storability {
  const { headers, status } = response;
  const cc = parseCacheControl(headers.get('cache-control'));
  if (cc.has('no-store')) return { store: false, detail: 'no-store' };
  if (cc.has('private')) return { store: false, detail: 'private' };
  const vary = headers.get('vary');
  if (vary && vary.split(',').some((name) => name.trim() === '*')) return { store: false, detail: 'vary-star' };
  // Stored, one user's cookie would be handed to everyone.
  if (headers.has('set-cookie')) return { store: false, detail: 'set-cookie' };
  if (status === 206 || status === 304 || status < 200) return { store: false, detail: 'status' };
  const shared = cc.has('public') || cc.has('s-maxage') || cc.has('must-revalidate');
  if (facts.authorization && !shared) return { store: false, detail: 'authorization' };

  const sMaxAge = seconds(cc.get('s-maxage'));
  const maxAge = seconds(cc.get('max-age'));
  const expires = expiresLifetime(headers, facts.now);
  const explicit = sMaxAge ?? maxAge ?? expires;
  if (explicit === null && !CACHEABLE_BY_DEFAULT.has(status)) return { store: false, detail: 'status' };

  let fresh: number;
  // no-cache: stored, but never used without asking the origin first.
  if (policy.override) fresh = policy.ttl;
  else if (cc.has('no-cache')) fresh = 0;
  else fresh = explicit ?? policy.ttl;

  // must-revalidate, proxy-revalidate and s-maxage (which implies proxy-revalidate for a shared
  // cache) forbid serving stale unless the origin itself allows it with the stale-* directives.
  const noStale = !policy.override && (cc.has('must-revalidate') || cc.has('proxy-revalidate') || cc.has('s-maxage') || cc.has('no-cache'));
  const originSwr = seconds(cc.get('stale-while-revalidate'));
  const originSie = seconds(cc.get('stale-if-error'));
  const staleWhileRevalidate = Math.max(originSwr ?? 0, noStale ? 0 : policy.staleWhileRevalidate);
  const staleIfError = Math.max(originSie ?? 0, noStale ? 0 : policy.staleIfError);

  const validator = headers.has('etag') || headers.has('last-modified');
  if (fresh === 0 && staleWhileRevalidate === 0 && staleIfError === 0 && !validator) return { store: false, detail: 'no-freshness' };
  return { store: true, fresh, staleWhileRevalidate, staleIfError, initialAge: initialAge(headers), shared };
}

/** Expires − Date (or − now without a Date); an unparsable Expires means already expired. */
function expiresLifetime(headers: Headers, now: number): number | null {
  const expires = headers.get('expires');
  if (expires === null) return null;
  const at = Date.parse(expires);
  if (Number.isNaN(at)) return 0;
  const date = Date.parse(headers.get('date') ?? '');
  return Math.max(0, Math.floor((at - (Number.isNaN(date) ? now : date)) / 1000));
}

/**
 * The age a response already has on arrival: its Age (RFC 9111 §4.2.3). Its Date is not
 * compared with this clock: an origin whose clock drifts would make every answer stale or
 * young (Varnish and nginx read Age alone too).
 */
function initialAge(headers: Headers): number {
  return seconds(headers.get('age') ?? undefined) ?? 0;
}

export interface RequestFacts {
  /** the client's own Authorization reaches the origin (the route neither removes nor sets it) */
  authorization: boolean;
  /** the client's own cookies reach the origin and the route does not ignore them */
  cookie: boolean;
}

/** What of the client's identity the origin would see: such answers are personal (RFC 9111 §3.5). */
export function requestFacts(headers: Headers, route: Pick<Route, 'requestHeaders'>, policy: CachePolicy): RequestFacts {
  const replaced = (name: string) => route.requestHeaders.remove.includes(name) || route.requestHeaders.set.some(([set]) => set.toLowerCase() === name);
  const authorization = headers.has('authorization') && !replaced('authorization');
  const cookie = policy.cookies === 'bypass' && !replaced('cookie') && ownCookies(headers.get('cookie'));
  return { authorization, cookie };
}

/** A Cookie header holding anything but the gateway's own site cookie (never forwarded). */
function ownCookies(header: string | null): boolean {
  if (!header) return false;
  return header.split(';').some((pair) => {
    const name = pair.split('=', 1)[0]!.trim();
    return name !== '' && name !== SITE_COOKIE;
  });
}
