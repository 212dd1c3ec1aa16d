// Guard stage: answers what must never reach the origin: preflights of CORS routes, loops,
// and requests the route's access rules or rate limit refuse.
import { authChallenge, checkContentLength, checkCredential, checkIp, limitBody, tooLarge, type AccessPolicy } from '../access.ts';
import { isPreflight, preflight, type CorsPolicy } from '../cors.ts';
import { brokenRequestBody, type GatewayError } from '../errors.ts';
import { carriesBody, isLoop } from '../headers.ts';
import { checkRateLimit } from '../ratelimit.ts';
import type { Exchange } from './exchange.ts';
import { own } from './owned.ts';

export async function guard(exchange: Exchange): Promise<Response | GatewayError | null> {
  const { request, gateway, route } = exchange;
  if (route.cors && isPreflight(request)) return answerPreflight(route.cors, request, route.path);
  if (isLoop(request.headers, gateway.id)) {
    return { status: 508, reason: `request already passed through gateway "${gateway.id}" (CDN-Loop)`, route: route.path };
  }
  const ipRefusal = route.access && checkIp(route.access, exchange.clientIp);
  if (ipRefusal) return { status: 403, reason: ipRefusal, route: route.path };
  // Before the credential check, so guessing credentials is rate limited too.
  if (route.config.rateLimit) {
    const limited = await checkRateLimit(route.config.rateLimit, exchange.env, { path: route.path, host: route.config.host }, request.headers, exchange.clientIp);
    if (limited) return limited;
  }
  return route.access ? checkAccess(exchange, route.access) : null;
}

/** Preflights end here: the origin never sees them, and a refusal carries no Allow-* headers. */
function answerPreflight(policy: CorsPolicy, request: Request, routePath: string): Response | GatewayError {
  const verdict = preflight(policy, request);
  if (verdict.ok) return own(new Response(null, { status: 204, headers: verdict.headers }));
  return { status: 403, reason: `CORS preflight refused: ${verdict.reason}`, route: routePath, headers: Object.fromEntries(verdict.headers) };
}

async function checkAccess(exchange: Exchange, access: AccessPolicy): Promise<GatewayError | null> {
  const { request, route } = exchange;
  const method = request.method.toUpperCase();
  // As with nginx's limit_except, allowing GET allows HEAD.
  if (access.methods && !access.methods.includes(method) && !(method === 'HEAD' && access.methods.includes('GET'))) {
    return {
      status: 405,
      reason: `method ${method} is not allowed on this route (allowed: ${access.methods.join(', ')})`,
      route: route.path,
      headers: { allow: access.methods.join(', ') },
    };
  }
  if (access.auth && !(await checkCredential(access.auth, request.headers.get('authorization')))) {
    return {
      status: 401,
      reason: `this route needs ${access.auth.type === 'bearer' ? 'a bearer token' : 'basic auth credentials'} in Authorization`,
      route: route.path,
      headers: { 'www-authenticate': authChallenge(access.auth.type, route.path) },
    };
  }
  const limit = access.maxBodyBytes;
  if (limit !== null && carriesBody(request)) {
    const length = request.headers.get('content-length');
    if (!checkContentLength(limit, length)) return tooLarge(limit, route.path);
    // The runtime holds a body with Content-Length to that length; one without is counted as it streams.
    if (length === null) {
      // An errored body stream (over the limit, or the client's own upload broken off) can reach
      // the origin as a clean, truncated end: abort the upstream fetch (forward follows this
      // signal) before erroring, so the origin sees a dropped upload.
      const cutoff = new AbortController();
      const abandon = (error: GatewayError) => {
        exchange.bodyError = error;
        cutoff.abort();
      };
      const body = limitBody(
        request.body,
        limit,
        () => abandon(tooLarge(limit, route.path)),
        () => abandon(brokenRequestBody(route.path)),
      );
      exchange.request = new Request(request.url, { method: request.method, headers: request.headers, body, redirect: 'manual' });
      exchange.abort = cutoff.signal;
    }
  }
  return null;
}
