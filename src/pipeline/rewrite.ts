// Rewrite stage: make the origin's response speak in gateway paths: URL-bearing headers,
// cookies, and (where the route asks) the body.
import { rewriteSetCookie } from '../cookies.ts';
import { rebuildable, unrebuildable, type GatewayError } from '../errors.ts';
import { connectionNamed, HOP_BY_HOP, stripHopByHop } from '../headers.ts';
import { CLEAR_SITE_DATA, confineServiceWorkerAllowed, mayBeWorkerScript, routeScope, SERVICE_WORKER_ALLOWED } from '../isolation.ts';
import { rewriteLink, rewriteLocation, rewriteRefresh, rewriteReportingEndpoints, rewriteReportTo } from '../redirects.ts';
import { mayRewriteBody, mimeOf, rewriteBody } from '../rewrite/body.ts';
import { siteCookieFor } from '../sticky.ts';
import type { Exchange } from './exchange.ts';
import { own } from './owned.ts';

// The runtime itself drops these from every response it sends (checked in workerd), so they
// alone do not make a response worth copying: nearly every origin sends Connection and
// Keep-Alive, and copying Headers and Response is dear on a plain request.
const RUNTIME_STRIPS: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'te', 'trailer', 'upgrade', 'transfer-encoding']);

/** Response headers this stage may change: with none of them, and no body to rewrite, it has nothing to do. */
const REWRITTEN = new Set([...[...HOP_BY_HOP].filter((name) => !RUNTIME_STRIPS.has(name)), 'alt-svc', 'location', 'content-location', 'refresh', 'link', 'reporting-endpoints', 'report-to', 'set-cookie', CLEAR_SITE_DATA]);

/**
 * `personal`: false where the answer is stored and served to other requests (the cache): then
 * nothing in it depends on this request. The site cookie is left to the caller, added per
 * answer, and a sticky script's Service-Worker-Allowed is set whatever this request asks.
 */
export function rewriteResponse(exchange: Exchange, upstream: Response, personal = true): Response | GatewayError {
  // A 101 carries the socket in `webSocket`; rebuilding it would drop the connection.
  if (upstream.status === 101 || upstream.webSocket) return upstream;
  const { gateway, route } = exchange;
  const mime = mimeOf(upstream.headers.get('content-type'));
  const siteCookie = personal ? siteCookieFor(exchange.request, route, upstream.status, mime) : null;
  // A service worker's script: its scope must stay within the route (isolation.ts). One served
  // by the sticky site lies outside the route's path, so its default scope would too.
  const workerScript =
    mayBeWorkerScript(mime) &&
    (upstream.headers.has(SERVICE_WORKER_ALLOWED) || (exchange.fromOriginRoot === true && (!personal || exchange.request.headers.get('service-worker') === 'script')));
  // The hot path of a plain proxy: no copy of headers or response at all.
  if (!siteCookie && !workerScript && !mayRewriteBody(route, exchange.request.method, upstream, mime) && !needsRewrite(upstream.headers)) return upstream;
  if (!rebuildable(upstream.status)) return unrebuildable(upstream, route.path);

  const upstreamUrl = exchange.upstreamUrl!;
  const headers = new Headers(upstream.headers);
  stripHopByHop(headers);
  // Would advertise the origin's endpoints as ours.
  headers.delete('alt-svc');
  // Would clear what every route keeps in the browser (isolation.ts).
  headers.delete(CLEAR_SITE_DATA);
  if (workerScript) {
    const allowed = headers.get(SERVICE_WORKER_ALLOWED);
    const scope = (allowed === null ? null : confineServiceWorkerAllowed(allowed, upstreamUrl, route, gateway.routes)) ?? (exchange.fromOriginRoot ? routeScope(route) : null);
    if (scope === null) headers.delete(SERVICE_WORKER_ALLOWED);
    else headers.set(SERVICE_WORKER_ALLOWED, scope);
  }

  for (const name of ['location', 'content-location']) {
    const value = headers.get(name);
    if (value) headers.set(name, rewriteLocation(value, upstreamUrl, gateway.routes));
  }
  const refresh = headers.get('refresh');
  if (refresh) headers.set('refresh', rewriteRefresh(refresh, upstreamUrl, gateway.routes));
  // Preloads and hints the browser fetches before it reads the page.
  const link = headers.get('link');
  if (link) headers.set('link', rewriteLink(link, upstreamUrl, gateway.routes));
  const endpoints = headers.get('reporting-endpoints');
  if (endpoints) headers.set('reporting-endpoints', rewriteReportingEndpoints(endpoints, upstreamUrl, gateway.routes));
  const reportTo = headers.get('report-to');
  if (reportTo) headers.set('report-to', rewriteReportTo(reportTo, upstreamUrl, gateway.routes));

  const cookies = upstream.headers.getSetCookie();
  if (cookies.length) {
    headers.delete('set-cookie');
    for (const cookie of cookies) headers.append('set-cookie', rewriteSetCookie(cookie, route, exchange.upstream!));
  }

  if (siteCookie) headers.append('set-cookie', siteCookie);

  const body = rewriteBody(exchange, upstream, headers) ?? upstream.body;
  return own(new Response(body, { status: upstream.status, statusText: upstream.statusText, headers }));
}

/** A header this stage changes, or a Connection naming one the runtime would send on. */
function needsRewrite(headers: Headers): boolean {
  // Asked name by name: a lookup costs workerd well under half of what reading one header in
  // a loop does, and origins send 5-15.
  for (const name of REWRITTEN) if (headers.has(name)) return true;
  const named = connectionNamed(headers.get('connection'));
  if (!named) return false;
  // `close` names no header; the rest the runtime drops anyway.
  for (const name of named) if (name && name !== 'close' && !RUNTIME_STRIPS.has(name)) return true;
  return false;
}
