// Pure rewriting of URL-bearing response headers back to gateway paths. Relative values
// are resolved against the upstream URL that sent them, and mapped as links are
// (gatewayPathFor); URLs it maps to nothing stay as sent.
import type { Route } from './config/compile.ts';
import { replaceRefreshUrl } from './rewrite/links.ts';
import { gatewayPathFor } from './url.ts';

export function rewriteLocation(value: string, upstreamUrl: string, routes: readonly Route[]): string {
  let url: URL;
  try {
    url = new URL(value.trim(), upstreamUrl);
  } catch {
    return value;
  }
  return gatewayPathFor(url, routes) ?? value;
}

/** `Refresh: 5; url=...`, in the same grammar as `<meta http-equiv=refresh>`. */
export function rewriteRefresh(value: string, upstreamUrl: string, routes: readonly Route[]): string {
  return replaceRefreshUrl(value, (target) => rewriteLocation(target, upstreamUrl, routes)) ?? value;
}

// A quoted parameter value is passed over whole, so a `<` inside one is not taken for a target.
const LINK_TARGET = /"(?:[^"\\]|\\.)*"|<([^>]*)>/g;

/** `Link: <url>; rel=preload, <url>; rel=next` (RFC 8288): each target mapped as a Location is. */
export function rewriteLink(value: string, upstreamUrl: string, routes: readonly Route[]): string {
  return value.replace(LINK_TARGET, (whole, target: string | undefined) => (target === undefined ? whole : `<${rewriteLocation(target, upstreamUrl, routes)}>`));
}

// A member's value (`name="..."` at the start of a member), not a parameter's (`;x="..."`):
// the only place a URL can be in this dictionary. One with escapes is left as sent: a URL
// has no quote or backslash to escape.
const MEMBER_VALUE = /(^|,)(\s*[a-z*][a-z0-9_.*-]*=)"((?:[^"\\]|\\.)*)"/g;

/** `Reporting-Endpoints: csp="https://origin/reports"` (where CSP's report-to sends): each endpoint mapped as a Location is. */
export function rewriteReportingEndpoints(value: string, upstreamUrl: string, routes: readonly Route[]): string {
  return value.replace(MEMBER_VALUE, (whole, start: string, key: string, target: string) =>
    target.includes('\\') ? whole : `${start}${key}"${rewriteLocation(target, upstreamUrl, routes)}"`,
  );
}

/**
 * `Report-To: {"group":"csp","max_age":86400,"endpoints":[{"url":"https://origin/r"}]}`, the
 * Reporting API's first form, which Chromium still reads (NEL names its groups): JSON
 * objects separated by commas. Each endpoint URL a browser would use (absolute, or starting
 * with one `/`) is mapped as a Location is; a value that is not such JSON stays as sent.
 */
export function rewriteReportTo(value: string, upstreamUrl: string, routes: readonly Route[]): string {
  let groups: unknown[];
  try {
    groups = JSON.parse(`[${value}]`) as unknown[];
  } catch {
    return value;
  }
  let changed = false;
  for (const group of groups) {
    const endpoints = (group as { endpoints?: unknown } | null)?.endpoints;
    if (!Array.isArray(endpoints)) continue;
    for (const endpoint of endpoints as ({ url?: unknown } | null)[]) {
      const url = endpoint?.url;
      if (typeof url !== 'string' || !/^(?:\/(?!\/)|https?:)/i.test(url)) continue;
      const mapped = rewriteLocation(url, upstreamUrl, routes);
      if (mapped !== url) (endpoint!.url = mapped), (changed = true);
    }
  }
  return changed ? groups.map((group) => JSON.stringify(group)).join(', ') : value;
}
