// Sticky sites: a mirrored page's scripts build root-relative URLs (`/img/x.png`) at run
// time, which no rewriting can see. Such a request, when no route (or only the catch-all)
// claims it, goes to the route of the page that made it: named by its Referer, else by a
// cookie the gateway sets when it serves that route's HTML. The cookie stays between
// browser and gateway.
import type { Gateway, Route } from './config/compile.ts';
import { findRoute, hostMatches, servesOutside } from './url.ts';

export const SITE_COOKIE = 'switchyard-site';

const eligible = servesOutside;

/** The route an escaped root-relative request belongs to, if any. */
export function stickyRoute(request: Request, gateway: Gateway, host: string): Route | undefined {
  const page = refererPath(request.headers.get('referer'), host);
  if (page !== null) {
    const route = findRoute(gateway, host, page);
    // The referring page belongs to a route: that settles it, sticky or not.
    if (route && route.prefix !== '') return route.sticky ? route : undefined;
  }
  // A typed or bookmarked URL is the user's choice, not the last site's.
  if (request.headers.get('sec-fetch-site') === 'none') return undefined;
  const site = readCookie(request.headers.get('cookie'), SITE_COOKIE);
  if (!site) return undefined;
  return gateway.routes.find((route) => eligible(route) && route.path === site && hostMatches(route.host, host));
}

/** The path of a Referer on this gateway's host, or null for another site. */
export function refererPath(referer: string | null, host: string): string | null {
  if (!referer) return null;
  try {
    const url = new URL(referer);
    return url.host.toLowerCase() === host.toLowerCase() ? url.pathname : null;
  } catch {
    return null;
  }
}

export function readCookie(header: string | null, name: string): string | null {
  if (!header || !header.includes(name)) return null;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq !== -1 && pair.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(pair.slice(eq + 1).trim());
      } catch {
        return null;
      }
    }
  }
  return null;
}

/** Removes the gateway's own cookie from an upstream request's Cookie header. */
export function stripSiteCookie(headers: Headers): void {
  const header = headers.get('cookie');
  if (!header || !header.includes(SITE_COOKIE)) return;
  const kept = header
    .split(';')
    .filter((pair) => pair.split('=', 1)[0]!.trim() !== SITE_COOKIE)
    .map((pair) => pair.trim())
    .filter(Boolean);
  if (kept.length) headers.set('cookie', kept.join('; '));
  else headers.delete('cookie');
}

const DOCUMENT_DESTINATIONS = new Set(['document', 'iframe', 'frame', 'embed', 'object']);

/**
 * The Set-Cookie that records which site a served HTML page belongs to: set for a sticky
 * route's page, cleared for any other page, nothing when the cookie already says so.
 */
export function siteCookieFor(request: Request, route: Route | undefined, status: number, mime: string): string | null {
  if (mime !== 'text/html' || status < 200 || status >= 300) return null;
  const destination = request.headers.get('sec-fetch-dest');
  if (destination && !DOCUMENT_DESTINATIONS.has(destination)) return null;
  const current = readCookie(request.headers.get('cookie'), SITE_COOKIE);
  const wanted = route && eligible(route) ? route.path : null;
  if (current === wanted) return null;
  const secure = request.url.startsWith('https:') ? '; Secure' : '';
  if (wanted === null) return `${SITE_COOKIE}=; Path=/; Max-Age=0; SameSite=Lax; HttpOnly${secure}`;
  return `${SITE_COOKIE}=${encodeURIComponent(wanted)}; Path=/; SameSite=Lax; HttpOnly${secure}`;
}
