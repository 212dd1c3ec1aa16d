// Respond stage: the last word on every response, the gateway's own errors included.
import type { Route } from '../config/compile.ts';
import { applyCors, isPreflight } from '../cors.ts';
import { errorResponse, type GatewayError } from '../errors.ts';
import { applyHeaderOps } from '../headers.ts';
import { redactStream, secretNeedles } from '../redact.ts';

export function respond(request: Request, route: Route | undefined, result: Response | GatewayError, problems?: string[]): Response {
  let response = result instanceof Response ? result : errorResponse(result, request.headers.get('accept'), problems);
  if (!route || response.webSocket) return response;
  if (route.responseHeaders.set.length || route.responseHeaders.remove.length || route.secrets.length) {
    const needles = secretNeedles(route);
    response = new Response(response.body && needles.length ? redactStream(response.body, needles) : response.body, response);
    applyHeaderOps(response.headers, route.responseHeaders);
    scrubSecrets(response.headers, route.secrets);
  }
  // Preflights were answered whole by guard; every other answer of a CORS route, errors
  // included, gets this route's Access-Control-* in place of the origin's.
  if (route.cors && !isPreflight(request)) {
    response = new Response(response.body, response);
    applyCors(route.cors, request.headers.get('origin'), response.headers);
  }
  return response;
}

/** An origin that echoes request headers must not hand an injected secret to the client (bodies: redactStream). */
function scrubSecrets(headers: Headers, secrets: string[]): void {
  if (!secrets.length) return;
  for (const [name, value] of [...headers]) {
    if (secrets.some((secret) => value.includes(secret))) headers.delete(name);
  }
}
