// switchyard: config → match → guard → forward → rewrite → respond.
// hono/tiny: the same Hono with its smallest router. One catch-all route needs no more, and
// it costs less CPU per request and less bundle than the default router.
import { Hono } from 'hono/tiny';
import { loadConfig } from './config/load.ts';
import type { Exchange } from './pipeline/exchange.ts';
import { forward } from './pipeline/forward.ts';
import { guard } from './pipeline/guard.ts';
import { matchRequest } from './pipeline/match.ts';
import { cached } from './pipeline/cache.ts';
import { respond } from './pipeline/respond.ts';
import { rewriteResponse } from './pipeline/rewrite.ts';
import { startTrace } from './pipeline/trace.ts';
import { answerAdmin, isAdminPath } from './observe/admin.ts';
import { requestId } from './observe/request-id.ts';
import { DEFAULT_OBSERVE } from './observe/settings.ts';
import { serveAsset } from './assets.ts';
import { errorResponse } from './errors.ts';

// Env comes from `wrangler types`; ROUTES and ${NAME} secrets are read by name at run time.
type AppEnv = { Bindings: Env & Record<string, unknown> };

const app = new Hono<AppEnv>();

app.all('*', async (c) => {
  const request = c.req.raw;
  const trace = startTrace();
  const env = c.env ?? {};
  const config = loadConfig(env);
  const observe = config.ok ? config.gateway.observe : DEFAULT_OBSERVE;
  const cf = request.cf as CfFacts | undefined;
  const cloudflare = cf?.colo !== undefined;
  const id = requestId(request, observe.requestId, cloudflare);
  trace.id = id.id;
  trace.idFromClient = id.fromClient;
  trace.cloudflare = cloudflare;
  trace.ip = clientIp(request, cf);
  if (!config.ok) {
    return respond(request, trace, observe, { status: 500, reason: 'routes config is invalid; nothing is proxied until it is fixed' }, config.problems);
  }
  const { gateway } = config;
  try {
    // Before routing: the status page is never proxied and never matches a route.
    if (observe.admin && isAdminPath(request, observe.admin.path)) return await answerAdmin(request, trace, gateway, env, config.warnings);
    const match = matchRequest(request, gateway, trace);
    if (!('target' in match)) {
      const asset = match.status === 404 ? await serveAsset(request, env) : null;
      return respond(request, trace, observe, asset ?? match);
    }
    const { route } = match;
    trace.route = route;
    const exchange: Exchange = { ...match, request, env, gateway, clientIp: trace.ip, trace, ctx: c.executionCtx };
    const refusal = await guard(exchange);
    if (refusal) return respond(request, trace, observe, refusal);
    if (route.cache) return respond(request, trace, observe, await cached(exchange, route.cache));
    const upstream = await forward(exchange);
    return respond(request, trace, observe, upstream instanceof Response ? rewriteResponse(exchange, upstream) : upstream);
  } catch {
    return respond(request, trace, observe, { status: 502, reason: 'the gateway failed to handle this request' });
  }
});

// Only if answering itself failed: a bare error, without the request's id.
app.onError(() => errorResponse({ status: 502, reason: 'the gateway failed to handle this request' }, null));

interface CfFacts {
  /** the Cloudflare data center: set on the edge (and by wrangler dev), never by bare workerd */
  colo?: string;
  clientIp?: string;
}

/**
 * Cloudflare's edge sets CF-Connecting-IP; bare workerd (npm run serve) knows the socket peer.
 * Only an address's characters pass (the log line writes it as it is).
 */
function clientIp(request: Request, cf: CfFacts | undefined): string | null {
  const peer = cf?.clientIp;
  if (peer) return peer.startsWith('[') ? peer.slice(1, peer.indexOf(']')) : peer.replace(/:\d+$/, '');
  const header = request.headers.get('cf-connecting-ip');
  return header && /^[0-9A-Fa-f:.]{2,45}$/.test(header) ? header : null;
}

export default app;
