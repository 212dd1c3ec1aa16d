// Respond stage: the last word on every response, the gateway's own errors included: the
// route's header rules and CORS, the request id and Server-Timing, then the count and log line.
import { applyCors, isPreflight } from '../cors.ts';
import { errorResponse, rebuildable, unrebuildable, type GatewayError } from '../errors.ts';
import { applyHeaderOps } from '../headers.ts';
import { record, stampHeaders } from '../observe/finish.ts';
import type { Observe } from '../observe/settings.ts';
import { MIN_REDACTED_LENGTH, redactStream, secretNeedles } from '../redact.ts';
import { isOwned } from './owned.ts';
import type { Trace } from './trace.ts';

export function respond(request: Request, trace: Trace, observe: Observe, result: Response | GatewayError, problems?: string[]): Response {
  const route = trace.route;
  // The gateway's own answers are built here, with headers it may change; any other Response
  // (the origin's, an asset, a cached one) has immutable headers and is copied once below.
  let built = !(result instanceof Response);
  let response = built ? errorAnswer(request, trace, result as GatewayError, problems) : (result as Response);
  // A stage built it (a rewritten page, a cache answer, a preflight): its headers are ours to change.
  const owned = !built && isOwned(response);
  let status = response.status;
  // Preflights were answered whole by guard; every other answer of a CORS route, errors
  // included, gets this route's Access-Control-* in place of the origin's.
  const cors = route?.cors && !isPreflight(request) ? route.cors : null;
  const changes = route !== undefined && (cors !== null || route.responseHeaders.set.length > 0 || route.responseHeaders.remove.length > 0 || route.secrets.length > 0);

  // A 101 carries the WebSocket: rebuilt only with the socket passed along (a copy without it
  // would drop the connection), and with nothing but the id and Server-Timing added.
  if (status === 101) {
    const { webSocket } = response;
    if (!webSocket) return response;
    const upgraded = new Response(null, { status: 101, webSocket, headers: response.headers });
    const now = Date.now();
    stampHeaders(upgraded.headers, trace, observe, now);
    record(request, trace, observe, status, null, now);
    return upgraded;
  }
  // A status outside 200-599 (LinkedIn's 999) cannot be put in a new Response: relayed as it
  // is, without the id or Server-Timing, unless the route must change the response (then it
  // is a 502).
  if (!rebuildable(status) && !changes) {
    record(request, trace, observe, status, null, Date.now());
    return response;
  }
  if (!rebuildable(status)) {
    response = errorAnswer(request, trace, unrebuildable(response, route!.path));
    status = response.status;
    built = true;
  }

  if (!built) {
    const needles = route && route.secrets.length ? secretNeedles(route) : null;
    const redact = response.body !== null && needles !== null && needles.length > 0;
    if (redact || !owned) response = new Response(redact ? redactStream(response.body!, needles) : response.body, response);
  }
  const { headers } = response;
  if (changes) {
    applyHeaderOps(headers, route.responseHeaders);
    scrubSecrets(headers, route.secrets);
  }
  const now = Date.now();
  stampHeaders(headers, trace, observe, now);
  if (cors) applyCors(cors, request.headers.get('origin'), headers, observe.serverTiming);
  const length = headers.get('content-length');
  record(request, trace, observe, status, length === null ? null : Number(length), now);
  return response;
}

function errorAnswer(request: Request, trace: Trace, error: GatewayError, problems?: string[]): Response {
  trace.reason = error.reason;
  return errorResponse(error, request.headers.get('accept'), problems, trace.id);
}

/**
 * An origin that echoes request headers must not hand an injected secret to the client
 * (bodies: redactStream). Short values would match ordinary headers (`2`, `on`), so those
 * only count when they are the whole value.
 */
function scrubSecrets(headers: Headers, secrets: string[]): void {
  if (!secrets.length) return;
  for (const [name, value] of [...headers]) {
    if (secrets.some((secret) => (secret.length >= MIN_REDACTED_LENGTH ? value.includes(secret) : value === secret))) headers.delete(name);
  }
}
