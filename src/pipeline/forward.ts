// Forward stage: the request to the route's origin, streaming both ways. A plain route makes
// one fetch; a pool (src/pool/) picks an origin for each attempt, tries another when the
// route's retry policy allows, and keeps each origin's passive health. Once a response is
// returned here its headers go to the client: it is final.
import type { Upstream } from '../config/compile.ts';
import type { GatewayError } from '../errors.ts';
import { carriesBody, upstreamRequestHeaders } from '../headers.ts';
import { hashAddress } from '../pool/balance.ts';
import { recordOutcome, releaseProbe } from '../pool/health.ts';
import { Selection, startAttempt, type Pool } from '../pool/pool.ts';
import { BodyTimeout, keepBody, shouldRetry, type Failure } from '../pool/retry.ts';
import { stripSiteCookie } from '../sticky.ts';
import { hostPreserving } from '../preserve-host.ts';
import { joinUpstream } from '../url.ts';
import type { Exchange } from './exchange.ts';
import type { Attempt } from './trace.ts';

type Outcome = Response | 'connect' | 'timeout' | 'aborted';

export async function forward(exchange: Exchange): Promise<Response | GatewayError> {
  const { request, route } = exchange;
  const hasBody = carriesBody(request);
  const headers = upstreamRequestHeaders(
    request.headers,
    {
      clientIp: exchange.clientIp,
      proto: exchange.target.origin.startsWith('https:') ? 'https' : 'http',
      clientHost: exchange.host,
      prefix: route.stripPrefix && route.prefix && !exchange.fromOriginRoot ? route.prefix : null,
      gatewayId: exchange.gateway.id,
      requestId: { header: exchange.gateway.observe.requestId.header, id: exchange.trace.id },
    },
    route.requestHeaders,
  );

  stripSiteCookie(headers);

  if (route.pool) return forwardToPool(exchange, route.pool, headers, hasBody);

  const upstream = route.upstreams[0]!;
  const url = upstreamUrl(exchange, upstream);
  if (!url) return { status: 400, reason: 'path would leave the origin', route: route.path };
  // A native timer signal: the cheapest timeout workerd offers (setTimeout, Node's at this
  // compatibility date, a race or AbortSignal.any cost several times more per request).
  const deadline = AbortSignal.timeout(route.timeout);
  const outcome = await fetchOnce(exchange, upstream, url, headers, hasBody ? request.body : null, deadline);
  if (outcome instanceof Response) {
    exchange.upstream = upstream;
    exchange.upstreamUrl = url;
    return outcome;
  }
  if (outcome === 'aborted') return exchange.bodyError!;
  if (outcome === 'timeout') return { status: 504, reason: `upstream did not answer within ${route.timeout} ms`, route: route.path };
  // The runtime says "Network connection lost" for a refused connection and for an answer
  // that is no HTTP response (a bare 1xx, garbage) alike, and for a request body the client
  // broke off or malformed, which only a body the gateway reads itself (guard) tells apart.
  const orBody = hasBody ? ", or the client's request body was cut off or malformed" : '';
  return { status: 502, reason: `upstream ${upstream.origin} could not be reached or sent no valid HTTP response${orBody}`, route: route.path };
}

/**
 * A pool: attempts until one gives a response the retry policy keeps, all inside the route's
 * timeout. Every attempt is in the trace; no answer names an origin (it would leak internal
 * addresses to clients), only how many were tried.
 */
async function forwardToPool(exchange: Exchange, pool: Pool, headers: Headers, hasBody: boolean): Promise<Response | GatewayError> {
  const { request, route } = exchange;
  const { retry, health } = pool;
  // The route's timeout starts now, a body being kept included, as when it streams.
  const start = Date.now();
  // Without a per-attempt limit, one timer for the whole request: each attempt gets what remains.
  const shared = retry.attemptTimeout === null ? AbortSignal.timeout(route.timeout) : null;

  let bytes: Uint8Array | null = null;
  let stream: ReadableStream<Uint8Array> | null = null;
  if (hasBody) {
    if (pool.keepsBodies) {
      try {
        const kept = await keepBody(request.body!, request.headers.get('content-length'), retry.bodyBytes, shared ?? AbortSignal.timeout(route.timeout));
        bytes = kept.bytes ?? null;
        stream = kept.stream ?? null;
      } catch (error) {
        if (error instanceof BodyTimeout) return { status: 408, reason: `the request body did not arrive within the route's timeout (${route.timeout} ms)`, route: route.path };
        return exchange.bodyError ?? { status: 400, reason: 'the request body was cut off before it was read whole', route: route.path };
      }
    } else {
      stream = request.body;
    }
  }
  // A body kept whole is sent again as often as needed; a streamed one only once.
  const replayable = !hasBody || bytes !== null;

  const selection = new Selection(pool, pool.balance === 'ip_hash' ? hashAddress(exchange.clientIp ?? '') : 0);
  let attempts = 0;
  let last: Failure = 'connect';
  for (;;) {
    const now = Date.now();
    let timer = shared;
    // Whether this attempt's timer is the end of the route's timeout (a timeout then ends the request).
    let final = true;
    if (!timer) {
      const remaining = route.timeout - (now - start);
      if (remaining <= 0) {
        last = 'timeout';
        break;
      }
      final = retry.attemptTimeout! >= remaining;
      timer = AbortSignal.timeout(final ? remaining : retry.attemptTimeout!);
    } else if (timer.aborted) {
      last = 'timeout';
      break;
    }
    const member = selection.pick(now);
    if (!member) break;
    const url = upstreamUrl(exchange, member.upstream);
    if (!url) return { status: 400, reason: 'path would leave the origin', route: route.path };

    const probe = startAttempt(member, now);
    const outcome = await fetchOnce(exchange, member.upstream, url, headers, bytes ?? stream, timer);
    member.inFlight--;
    attempts++;
    if (outcome === 'aborted') {
      releaseProbe(member.health, probe);
      return exchange.bodyError!;
    }
    const status = outcome instanceof Response ? outcome.status : 0;
    // workerd reports a client's broken upload as it reports a dead origin: a failure while
    // the client's body streamed says nothing sure about the origin, and is not counted.
    if (health && (status !== 0 || stream === null)) {
      const failed = status === 0 || health.statuses.has(status);
      recordOutcome(member.health, health, failed, failed ? Date.now() : 0, probe);
    } else releaseProbe(member.health, probe);
    if (status !== 0 && !retry.statuses.has(status)) return answered(exchange, member.upstream, url, outcome as Response);

    const failure: Failure = status || (outcome as 'connect' | 'timeout');
    selection.failedOn(member);
    selection.last = member.index;
    const more = attempts <= retry.attempts && !(failure === 'timeout' && final) && shouldRetry(retry, failure, request.method, replayable);
    if (!more) {
      // The origin's own answer says more than ours would.
      if (status !== 0) return answered(exchange, member.upstream, url, outcome as Response);
      last = failure;
      break;
    }
    // Unread, the body would hold the origin's connection until the runtime gives up on it.
    if (status !== 0) void (outcome as Response).body?.cancel().catch(() => {});
    last = failure;
  }
  return exhausted(exchange, pool, selection.tried, attempts, last, stream !== null);
}

function answered(exchange: Exchange, upstream: Upstream, url: string, response: Response): Response {
  exchange.upstream = upstream;
  exchange.upstreamUrl = url;
  return response;
}

/** Every attempt failed: 504 when the last ran out of time, else 502; the route and how many origins were tried, never which. */
function exhausted(exchange: Exchange, pool: Pool, tried: number, attempts: number, last: Failure, streamed: boolean): GatewayError {
  const { route } = exchange;
  const size = pool.members.length;
  const perAttempt = pool.retry.attemptTimeout;
  const what =
    last === 'timeout'
      ? `did not answer in time (the route's timeout is ${route.timeout} ms${perAttempt !== null ? `, ${perAttempt} ms per attempt` : ''})`
      : last === 'connect'
        ? `could not be reached or sent no valid HTTP response${streamed ? ", or the client's request body was cut off or malformed" : ''}`
        : `answered ${last}`;
  const count = `${attempts} attempt${attempts === 1 ? '' : 's'}`;
  const reason = size === 1 ? `the origin ${what} (${count})` : `no origin answered: ${tried} of ${size} origins tried in ${count}; the last ${what}`;
  return { status: last === 'timeout' ? 504 : 502, reason, route: route.path };
}

function upstreamUrl(exchange: Exchange, upstream: Upstream): string | null {
  return joinUpstream(exchange.fromOriginRoot ? { origin: upstream.origin, base: '' } : upstream, exchange.rest, exchange.target.query);
}

/** One request to one origin, recorded in the trace: a Response, or how it failed. */
async function fetchOnce(
  exchange: Exchange,
  upstream: Upstream,
  url: string,
  headers: Headers,
  body: BodyInit | null,
  timer: AbortSignal,
): Promise<Outcome> {
  const { request, route } = exchange;
  // A client that goes away needs no signal: the runtime cancels the invocation and its
  // subrequests. Only a cut-off upload (guard) has its own.
  const signal = exchange.abort ? AbortSignal.any([timer, exchange.abort]) : timer;

  const init: RequestInit<RequestInitCfProperties> = {
    method: request.method,
    headers,
    body,
    redirect: 'manual',
    signal,
  };
  const hostKept = route.preserveHost ? hostPreserving(exchange.env, upstream.origin, url, exchange.host) : null;
  if (hostKept?.resolveOverride) init.cf = { resolveOverride: hostKept.resolveOverride };
  const attempt: Attempt = { origin: upstream.origin, outcome: 'response', ms: 0 };
  exchange.trace.attempts.push(attempt);
  const sent = Date.now();
  try {
    const response = await (hostKept ? hostKept.via.fetch(hostKept.url, init) : fetch(url, init));
    attempt.status = response.status;
    attempt.ms = Date.now() - sent;
    return response;
  } catch {
    attempt.ms = Date.now() - sent;
    if (exchange.bodyError) {
      attempt.outcome = 'aborted';
      return 'aborted';
    }
    attempt.outcome = timer.aborted ? 'timeout' : 'connect';
    return attempt.outcome;
  }
}
