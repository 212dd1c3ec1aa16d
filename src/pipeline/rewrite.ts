// Rewrite stage: make the origin's response speak in gateway paths: URL-bearing headers,
// cookies, and (where the route asks) the body.
import { rewriteSetCookie } from '../cookies.ts';
import { stripHopByHop } from '../headers.ts';
import { rewriteLocation, rewriteRefresh } from '../redirects.ts';
import { mimeOf, rewriteBody } from '../rewrite/body.ts';
import { siteCookieFor } from '../sticky.ts';
import type { Exchange } from './exchange.ts';

export function rewriteResponse(exchange: Exchange, upstream: Response): Response {
  // A 101 carries the socket in `webSocket`; rebuilding it would drop the connection.
  if (upstream.status === 101 || upstream.webSocket) return upstream;
  const { gateway, route } = exchange;
  const upstreamUrl = exchange.upstreamUrl!;
  const headers = new Headers(upstream.headers);
  stripHopByHop(headers);
  // Would advertise the origin's endpoints as ours.
  headers.delete('alt-svc');

  for (const name of ['location', 'content-location']) {
    const value = headers.get(name);
    if (value) headers.set(name, rewriteLocation(value, upstreamUrl, gateway.routes));
  }
  const refresh = headers.get('refresh');
  if (refresh) headers.set('refresh', rewriteRefresh(refresh, upstreamUrl, gateway.routes));

  const cookies = upstream.headers.getSetCookie();
  if (cookies.length) {
    headers.delete('set-cookie');
    for (const cookie of cookies) headers.append('set-cookie', rewriteSetCookie(cookie, route, exchange.upstream!));
  }

  const siteCookie = siteCookieFor(exchange.request, route, upstream.status, mimeOf(headers.get('content-type')));
  if (siteCookie) headers.append('set-cookie', siteCookie);

  const body = rewriteBody(exchange, upstream, headers) ?? upstream.body;
  return new Response(body, { status: upstream.status, statusText: upstream.statusText, headers });
}
