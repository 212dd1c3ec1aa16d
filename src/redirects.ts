// Pure rewriting of URL-bearing response headers back to gateway paths. Relative values
// are resolved against the upstream URL that sent them; URLs no route serves stay as sent.
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
