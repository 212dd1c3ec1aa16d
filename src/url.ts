// Pure URL logic. The runtime hands the Worker the request-target as the client sent it
// (no dot-segment removal), so these work on raw strings: `new URL()` would resolve
// `..` and `%2e%2e` before we could refuse them.
import type { Gateway, Route, Upstream } from './config/compile.ts';

export const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'http:': '80', 'https:': '443' };

export interface Target {
  /** scheme://host[:port] the client used */
  origin: string;
  /** raw path as sent, always starting with '/' */
  path: string;
  /** raw query including '?', or '' */
  query: string;
}

/**
 * Splits the request URL. `host` is the Host header the runtime may have built the URL from
 * (bare workerd writes `"http://" + Host + target`): when the URL starts with it, it ends the
 * authority, so whatever the Host holds (`x/api`, `x?`) cannot move the path.
 */
export function splitTarget(url: string, host?: string | null): Target {
  const afterScheme = url.indexOf('://') + 3;
  const known = host ? afterScheme + host.length : -1;
  const pathStart = host && url.startsWith(host, afterScheme) && (known === url.length || endsAuthority(url.charCodeAt(known))) ? known : authorityEnd(url, afterScheme);
  const hashStart = url.indexOf('#', pathStart);
  const end = hashStart === -1 ? url.length : hashStart;
  const queryStart = url.indexOf('?', pathStart);
  const pathEnd = queryStart === -1 || queryStart > end ? end : queryStart;
  return {
    origin: url.slice(0, pathStart),
    path: url.slice(pathStart, pathEnd) || '/',
    query: url.slice(pathEnd, end),
  };
}

/** `/`, `?` or `#`: RFC 3986 §3.2, the characters that end an authority. */
const endsAuthority = (code: number) => code === 47 || code === 63 || code === 35;

function authorityEnd(url: string, from: number): number {
  for (let i = from; i < url.length; i++) if (endsAuthority(url.charCodeAt(i))) return i;
  return url.length;
}

export type PathVerdict = { ok: true; path: string } | { ok: false; reason: string };

const UNRESERVED_ESCAPE = /%(2[DdEe]|3[0-9]|[46][1-9A-Fa-f]|[57][0-9Aa]|5[Ff]|7[Ee])/g;
/** The only escapes that can spell a dot segment or its separators: `.`, `/`, `;`, `\`. */
const SEGMENT_ESCAPE = /%(2[EeFf]|3[Bb]|5[Cc])/g;
/**
 * Overlong UTF-8 (never valid, but decoded by some servers): `%C0%AE` is `.` to them, the
 * traversal IIS once fell to. Any other escape may be any byte: `/caf%E9` is Latin-1.
 */
const OVERLONG = /%C[01]%[89AB][0-9A-F]|%E0%[89][0-9A-F]|%F0%8[0-9A-F]/i;

const decodeEscape = (escape: string) => String.fromCharCode(parseInt(escape.slice(1), 16));
/** RFC 3986 §6.2.2.2: `%7Euser` is `~user`. */
const decodeUnreserved = (path: string) => path.replace(UNRESERVED_ESCAPE, decodeEscape);

/**
 * Refuses a path that, decoded once, holds a `.` or `..` segment (with `/` or `\` as
 * separators, as some origins treat both), and normalizes the rest: percent-escapes of
 * unreserved characters are decoded (RFC 3986 §6.2.2.2); everything else, `%2F`
 * included, stays as sent.
 */
export function checkPath(rawPath: string): PathVerdict {
  // Most paths: no escape, no backslash and no segment starting with '.': nothing to decode
  // or refuse, so no split and no regular expressions per request.
  if (rawPath.startsWith('/') && !rawPath.includes('%') && !rawPath.includes('\\') && !rawPath.includes('/.')) return { ok: true, path: rawPath };
  if (/%(?![0-9A-Fa-f]{2})/.test(rawPath)) return { ok: false, reason: 'malformed percent-encoding in path' };
  if (OVERLONG.test(rawPath)) return { ok: false, reason: 'overlong UTF-8 escapes in path' };
  const decoded = rawPath.replace(SEGMENT_ESCAPE, decodeEscape);
  for (const segment of decoded.split(/[/\\]/)) {
    // `..;x` is `..` to servlet containers (path parameters), so it counts too.
    if (segment === '.' || segment === '..' || /^\.\.?;/.test(segment)) return { ok: false, reason: 'dot segments are not allowed in paths' };
  }
  if (!rawPath.startsWith('/')) return { ok: false, reason: 'path must start with /' };
  return { ok: true, path: decodeUnreserved(rawPath) };
}

/**
 * A configured route path in the form requests arrive in: characters a URL cannot hold as
 * they are (`/café`, `/a b`) percent-encoded as UTF-8, as browsers send them, and escapes
 * normalized as checkPath does. Escapes are upper case here; findRoute compares so.
 */
export function routePathForm(path: string): string {
  // A lone surrogate (JSON allows one) becomes U+FFFD, as the URL parser writes it.
  const encoded = path.replace(/[^\x21-\x7E]|["<>`{}]/gu, (char) => (/^[\uD800-\uDFFF]$/.test(char) ? '%EF%BF%BD' : encodeURIComponent(char)));
  return decodeUnreserved(upperEscapes(encoded));
}

/** `%c3%a9` → `%C3%A9` (RFC 3986 §6.2.2.1: the same octets). */
const upperEscapes = (path: string) => (path.includes('%') ? path.replace(/%[0-9a-f]{2}/gi, (escape) => escape.toUpperCase()) : path);

/** The route for a request: first in match order (longest prefix, most specific host). */
export function findRoute(gateway: Gateway, host: string, path: string): Route | undefined {
  // Only for comparing: the path goes upstream with its escapes as the client wrote them.
  const key = upperEscapes(path);
  return gateway.matchOrder.find((route) => prefixMatches(route.prefix, key) && hostMatches(route.host, host));
}

/** `/api` matches `/api`, `/api/` and `/api/...`, never `/apix`. */
export function prefixMatches(prefix: string, path: string): boolean {
  return path.startsWith(prefix) && (path.length === prefix.length || path.charCodeAt(prefix.length) === 47 /* / */);
}

export function hostMatches(host: Route['host'], requestHost: string): boolean {
  if (!host) return true;
  const name = requestHost.toLowerCase();
  if (host.exact) return name === host.exact || name.replace(/:\d+$/, '') === host.exact;
  const bare = name.replace(/:\d+$/, '');
  return bare.endsWith(host.suffix!) && bare.length > host.suffix!.length;
}

/**
 * Joins by string with exactly one '/' between base path and the rest, so
 * `/api//evil.com/x` stays on the origin; returns null if the result would not.
 */
export function joinUpstream(upstream: Upstream, rest: string, query: string): string | null {
  const tail = rest.replace(/^\/+/, '');
  const path = rest === '' ? upstream.base || '/' : `${upstream.base}/${tail}`;
  const joined = upstream.origin + path + query;
  try {
    return new URL(joined).origin === upstream.origin ? joined : null;
  } catch {
    return null;
  }
}

/**
 * preserveHost: Workers derive `Host` from the fetch URL, so the URL names the client's
 * host and `cf.resolveOverride` sends the connection to the origin (Cloudflare honours it
 * within one zone). Scheme, port, path and query stay the origin's.
 */
export function hostPreservingTarget(url: string, clientHost: string | null): { url: string; resolveOverride?: string } {
  const target = new URL(url);
  const hostname = (clientHost ?? '').replace(/:\d+$/, '').toLowerCase();
  if (!hostname || hostname === target.hostname) return { url };
  const resolveOverride = target.hostname;
  target.hostname = hostname;
  return { url: target.href, resolveOverride };
}

/** What is left of a matched path for the origin: the full path unless stripPrefix. */
export function restOfPath(route: Route, path: string): string {
  return route.stripPrefix ? path.slice(route.prefix.length) : path;
}

/** A route that serves root-relative requests its pages make outside every route (sticky.ts). */
export const servesOutside = (route: Route): boolean => route.sticky && route.prefix !== '';

/**
 * Maps an absolute URL at some configured origin back to the gateway path that serves
 * it: the route whose origin + base path is the longest prefix of the URL (segment
 * boundary), first in file order on a tie. A URL at the origin of a sticky route that no
 * route serves (outside every base path) keeps its path: the gateway serves that
 * root-relative path from the page's sticky route, so an absolute link and its
 * root-relative spelling behave alike. Null for URLs no route serves.
 */
export function gatewayPathFor(url: Pick<URL, 'origin' | 'pathname' | 'search' | 'hash'>, routes: readonly Route[]): string | null {
  let best: { route: Route; base: string } | undefined;
  let sticky = false;
  for (const route of routes) {
    for (const upstream of route.upstreams) {
      if (upstream.origin !== url.origin) continue;
      sticky ||= servesOutside(route);
      if (!prefixMatches(upstream.base, url.pathname)) continue;
      if (!route.stripPrefix && !prefixMatches(route.prefix, url.pathname.slice(upstream.base.length) || '/')) continue;
      if (!best || upstream.base.length > best.base.length) best = { route, base: upstream.base };
    }
  }
  if (!best) return sticky ? (url.pathname || '/') + url.search + url.hash : null;
  const rest = url.pathname.slice(best.base.length);
  const path = best.route.stripPrefix ? best.route.prefix + rest : rest;
  return (path || '/') + url.search + url.hash;
}
