// Mirrored sites share one browser origin, the gateway's: what an origin says about "its"
// origin reaches every route. Cookies are confined by Path (cookies.ts); these headers are
// confined here, or dropped when they cannot be.
import type { Route } from './config/compile.ts';
import { gatewayPathFor } from './url.ts';

/**
 * `Clear-Site-Data` is dropped whole: every one of its types acts on the gateway's origin,
 * not on a path. "cookies" and "storage" would wipe the sessions and storage of every route,
 * "cache" every route's cached responses, "executionContexts" would reload every route's
 * open pages, and the rest (client hints, prefetch and prerender caches) are origin-wide too.
 */
export const CLEAR_SITE_DATA = 'clear-site-data';

export const SERVICE_WORKER_ALLOWED = 'service-worker-allowed';

/**
 * Service-Worker-Allowed is read only on a service worker's script, which must be JavaScript
 * (every JavaScript MIME type names "script": javascript, ecmascript, jscript, livescript).
 */
export const mayBeWorkerScript = (mime: string): boolean => mime.includes('script');

/**
 * The widest scope a service worker of this route may claim: its path. A scope is matched
 * as a plain string prefix, so it ends with `/` (`/docs` would also cover `/docsx`).
 */
export const routeScope = (route: Route): string => `${route.prefix}/`;

/**
 * An origin's `Service-Worker-Allowed` (a path, or URL, resolved against the script's URL at
 * the origin) as the gateway path it names, when that lies within the route's scope; null
 * when it is wider (`/`), outside the route or unreadable: the header is then dropped, and a
 * script served under the route keeps its default, its own folder.
 */
export function confineServiceWorkerAllowed(value: string, upstreamUrl: string, route: Route, routes: readonly Route[]): string | null {
  let url: URL;
  try {
    url = new URL(value.trim(), upstreamUrl);
  } catch {
    return null;
  }
  // The browser reads the path alone.
  const path = gatewayPathFor({ origin: url.origin, pathname: url.pathname, search: '', hash: '' }, routes);
  if (path === null) return null;
  const scope = routeScope(route);
  if (path === route.prefix) return scope;
  return path.startsWith(scope) ? path : null;
}
