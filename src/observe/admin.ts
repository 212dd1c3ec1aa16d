// The status page at `admin.path`: checked before routing, so it is never proxied and never
// matches a route. Address rules first, then the credential (compared in constant time); a
// wrong or missing credential gets a bare 401.
import { authChallenge, checkCredential, checkIp } from '../access.ts';
import type { Gateway, Route } from '../config/compile.ts';
import { poolStatus } from '../pool/pool.ts';
import { respond } from '../pipeline/respond.ts';
import type { Trace } from '../pipeline/trace.ts';
import { checkHost } from '../host.ts';
import { checkPath, splitTarget } from '../url.ts';
import { statusPage, STATUS_PAGE_CSP } from './status-page.ts';
import { statusReport, type OriginHealth } from './status.ts';

/**
 * Whether the request is for the status page, in any spelling the router would treat as its
 * path. The path comes from the request target alone, and a Host that is no host is never
 * the status page's (the match stage refuses it).
 */
export function isAdminPath(request: Request, adminPath: string): boolean {
  const host = request.headers.get('host');
  if (host !== null && checkHost(host)) return false;
  const { path } = splitTarget(request.url, host);
  if (!path.startsWith(adminPath) && !path.includes('%')) return false;
  const verdict = checkPath(path);
  return verdict.ok && (verdict.path === adminPath || verdict.path === `${adminPath}/`);
}

/** Each origin's passive health in this isolate, in the route's origin order. */
export function originHealth(route: Route): OriginHealth[] {
  return poolStatus(route).map(({ state, ejectedUntil, weight, backup, inFlight }): OriginHealth => ({
    state,
    ...(ejectedUntil !== undefined && { until: new Date(ejectedUntil).toISOString() }),
    weight,
    backup,
    inFlight,
  }));
}

export async function answerAdmin(request: Request, trace: Trace, gateway: Gateway, env: Record<string, unknown>, warnings: string[]): Promise<Response> {
  const { observe } = gateway;
  const admin = observe.admin!;
  trace.admin = true;
  const { path, query } = splitTarget(request.url);
  trace.path = path;
  trace.query = query;

  if (admin.access && checkIp(admin.access, trace.ip ?? null)) {
    return respond(request, trace, observe, { status: 403, reason: `client address ${trace.ip ?? '(unknown)'} is not in admin.allowIps` });
  }
  if (!(await checkCredential(admin.auth, request.headers.get('authorization')))) {
    trace.reason = 'status page: missing or wrong credentials';
    const challenge = authChallenge(admin.auth.type, admin.path);
    return respond(request, trace, observe, new Response(null, { status: 401, headers: { 'www-authenticate': challenge, 'cache-control': 'no-store' } }));
  }
  const method = request.method.toUpperCase();
  if (method !== 'GET' && method !== 'HEAD') {
    return respond(request, trace, observe, { status: 405, reason: 'the status page answers GET and HEAD only', headers: { allow: 'GET, HEAD' } });
  }

  const report = await statusReport({ gateway, env, warnings, requestId: trace.id, health: originHealth, now: Date.now() });
  const json = (request.headers.get('accept') ?? '').toLowerCase().includes('application/json');
  const headers: Record<string, string> = {
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'content-type': json ? 'application/json; charset=utf-8' : 'text/html; charset=utf-8',
  };
  if (!json) headers['content-security-policy'] = STATUS_PAGE_CSP;
  const body = json ? `${JSON.stringify(report, null, 2)}\n` : statusPage(report);
  return respond(request, trace, observe, new Response(method === 'HEAD' ? null : body, { headers }));
}
