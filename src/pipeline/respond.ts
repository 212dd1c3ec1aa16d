// Respond stage: the last word on every response, the gateway's own errors included.
import type { Route } from '../config/compile.ts';
import { errorResponse, type GatewayError } from '../errors.ts';
import { applyHeaderOps } from '../headers.ts';

export function respond(request: Request, route: Route | undefined, result: Response | GatewayError, problems?: string[]): Response {
  let response = result instanceof Response ? result : errorResponse(result, request.headers.get('accept'), problems);
  if (!route || response.webSocket) return response;
  if (route.responseHeaders.set.length || route.responseHeaders.remove.length || route.secrets.length) {
    response = new Response(response.body, response);
    applyHeaderOps(response.headers, route.responseHeaders);
    scrubSecrets(response.headers, route.secrets);
  }
  return response;
}

/** An origin that echoes request headers must not hand an injected secret to the client. */
function scrubSecrets(headers: Headers, secrets: string[]): void {
  if (!secrets.length) return;
  for (const [name, value] of [...headers]) {
    if (secrets.some((secret) => value.includes(secret))) headers.delete(name);
  }
}
