// Pure Set-Cookie rewriting: cookies of two routes must never mix, and an origin's
// Domain would make the browser drop the cookie (or send it elsewhere).
import type { Route, Upstream } from './config/compile.ts';
import { prefixMatches } from './url.ts';

/** The gateway path that covers what `path` covered at the origin, never wider than the route. */
export function gatewayCookiePath(path: string, route: Route, upstream: Upstream): string {
  let mapped = route.prefix;
  if (prefixMatches(upstream.base, path)) {
    const rest = path.slice(upstream.base.length);
    mapped = route.stripPrefix ? route.prefix + (rest === '/' ? '' : rest) : rest;
    if (!prefixMatches(route.prefix, mapped)) mapped = route.prefix;
  }
  return mapped || '/';
}

/**
 * Drops Domain and maps Path (default `/`) under the route. A `__Host-` cookie keeps
 * `Path=/`: browsers refuse one with any other path (RFC 6265bis §4.1.3.2), so it is the
 * one kind two routes can share, and the browser ties it to the gateway's host.
 */
export function rewriteSetCookie(cookie: string, route: Route, upstream: Upstream): string {
  const [pair, ...attributes] = cookie.split(';');
  let path = '/';
  const kept: string[] = [];
  for (const attribute of attributes) {
    const name = attribute.split('=', 1)[0]!.trim().toLowerCase();
    if (name === 'domain') continue;
    if (name === 'path') {
      // The last Path counts; one not starting with `/` means the default.
      const value = attribute.slice(attribute.indexOf('=') + 1).trim();
      path = value.startsWith('/') ? value : '/';
      continue;
    }
    if (attribute.trim()) kept.push(attribute.trim());
  }
  const hostPrefixed = /^\s*__host-/i.test(pair!);
  return [pair!.trim(), `Path=${hostPrefixed ? '/' : gatewayCookiePath(path, route, upstream)}`, ...kept].join('; ');
}
