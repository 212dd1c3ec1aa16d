// Forward stage: one fetch to the origin (or the next of `origins` when one cannot be
// reached and the request has no body to replay), streaming both ways.
import type { Upstream } from '../config/compile.ts';
import type { GatewayError } from '../errors.ts';
import { carriesBody, upstreamRequestHeaders } from '../headers.ts';
import { stripSiteCookie } from '../sticky.ts';
import { hostPreservingTarget, joinUpstream } from '../url.ts';
import type { Exchange } from './exchange.ts';
import type { Attempt } from './trace.ts';

export async function forward(exchange: Exchange): Promise<Response | GatewayError> {
  const { request, route } = exchange;
  const hasBody = carriesBody(request);
  const headers = upstreamRequestHeaders(
    request.headers,
    {
      clientIp: exchange.clientIp,
      proto: exchange.target.origin.startsWith('https:') ? 'https' : 'http',
      // Read by match already.
      clientHost: exchange.trace.host ?? new URL(exchange.target.origin).host,
      prefix: route.stripPrefix && route.prefix && !exchange.fromOriginRoot ? route.prefix : null,
      gatewayId: exchange.gateway.id,
      requestId: { header: exchange.gateway.observe.requestId.header, id: exchange.trace.id },
    },
    route.requestHeaders,
  );

  stripSiteCookie(headers);

  let failure: GatewayError = { status: 502, reason: 'no upstream configured', route: route.path };
  for (const [i, upstream] of route.upstreams.entries()) {
    const url = joinUpstream(exchange.fromOriginRoot ? { origin: upstream.origin, base: '' } : upstream, exchange.rest, exchange.target.query);
    if (!url) return { status: 400, reason: 'path would leave the origin', route: route.path };
    const outcome = await fetchWithDeadline(exchange, upstream, url, headers, hasBody);
    if (outcome instanceof Response) {
      exchange.upstream = upstream;
      exchange.upstreamUrl = url;
      return outcome;
    }
    failure = outcome;
    const last = i === route.upstreams.length - 1;
    if (last || hasBody || outcome.status !== 502) break;
  }
  return failure;
}

async function fetchWithDeadline(
  exchange: Exchange,
  upstream: Upstream,
  url: string,
  headers: Headers,
  hasBody: boolean,
): Promise<Response | GatewayError> {
  const { request, route } = exchange;
  // A native timer signal: setTimeout (Node's at this compatibility date), a race or
  // AbortSignal.any each cost 50-80 µs of CPU per request in workerd; this ~20 (measured).
  const deadline = AbortSignal.timeout(route.timeout);
  // A client that goes away needs no signal: the runtime cancels the invocation and its
  // subrequests. Only a cut-off upload (guard) has its own.
  const signal = exchange.abort ? AbortSignal.any([deadline, exchange.abort]) : deadline;

  const init: RequestInit<RequestInitCfProperties> = {
    method: request.method,
    headers,
    body: hasBody ? request.body : null,
    redirect: 'manual',
    signal,
  };
  let fetchUrl = url;
  if (route.preserveHost) {
    const target = hostPreservingTarget(url, request.headers.get('host'));
    fetchUrl = target.url;
    if (target.resolveOverride) init.cf = { resolveOverride: target.resolveOverride };
  }
  const attempt: Attempt = { origin: upstream.origin, outcome: 'response', ms: 0 };
  exchange.trace.attempts.push(attempt);
  const sent = Date.now();
  try {
    const response = await fetch(fetchUrl, init);
    attempt.status = response.status;
    attempt.ms = Date.now() - sent;
    return response;
  } catch {
    attempt.ms = Date.now() - sent;
    if (exchange.bodyError) {
      attempt.outcome = 'aborted';
      return exchange.bodyError;
    }
    attempt.outcome = deadline.aborted ? 'timeout' : 'connect';
    if (deadline.aborted) return { status: 504, reason: `upstream did not answer within ${route.timeout} ms`, route: route.path };
    // The runtime says "Network connection lost" for a refused connection and for an answer
    // that is no HTTP response (a bare 1xx, garbage) alike.
    return { status: 502, reason: `upstream ${upstream.origin} could not be reached or sent no valid HTTP response`, route: route.path };
  }
}
