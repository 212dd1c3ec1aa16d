// Respond stage: the last word on every response, the gateway's own errors included.
import type { Route } from '../config/compile.ts';
import { applyCors, isPreflight } from '../cors.ts';
import { errorResponse, rebuildable, unrebuildable, type GatewayError } from '../errors.ts';
import { applyHeaderOps } from '../headers.ts';
import { MIN_REDACTED_LENGTH, redactStream, secretNeedles } from '../redact.ts';

export function respond(request: Request, route: Route | undefined, result: Response | GatewayError, problems?: string[]): Response {
  let response = result instanceof Response ? result : errorResponse(result, request.headers.get('accept'), problems);
  if (!route || response.webSocket) return response;
  const ops = route.responseHeaders;
  // Preflights were answered whole by guard; every other answer of a CORS route, errors
  // included, gets this route's Access-Control-* in place of the origin's.
  const cors = route.cors && !isPreflight(request) ? route.cors : null;
  if (!cors && !ops.set.length && !ops.remove.length && !route.secrets.length) return response;
  if (!rebuildable(response.status)) response = errorResponse(unrebuildable(response, route.path), request.headers.get('accept'));

  const needles = secretNeedles(route);
  const body = response.body && needles.length ? redactStream(response.body, needles) : response.body;
  const final = new Response(body, response);
  applyHeaderOps(final.headers, ops);
  scrubSecrets(final.headers, route.secrets);
  if (cors) applyCors(cors, request.headers.get('origin'), final.headers);
  return final;
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
