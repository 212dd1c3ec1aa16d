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

/** Drops Domain and maps Path (default `/`) under the route. */
export function rewriteSetCookie(cookie: string, route: Route, upstream: Upstream): string {
  const [pair, ...attributes] = cookie.split(';');
  let path = '/';
  const kept: string[] = [];
  for (const attribute of attributes) {
    const name = attribute.split('=', 1)[0]!.trim().toLowerCase();
    if (name === 'domain') continue;
    if (name === 'path') {
      const value = attribute.slice(attribute.indexOf('=') + 1).trim();
      if (value.startsWith('/')) path = value;
      continue;
    }
    if (attribute.trim()) kept.push(attribute.trim());
  }
  return [pair!.trim(), `Path=${gatewayCookiePath(path, route, upstream)}`, ...kept].join('; ');
}
