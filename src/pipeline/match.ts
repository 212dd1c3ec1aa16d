// Match stage: refuse a Host that is no host and unsafe paths, then pick the route by host
// and longest prefix.
import type { Gateway, Route } from '../config/compile.ts';
import type { GatewayError } from '../errors.ts';
import { checkHost } from '../host.ts';
import { stickyRoute } from '../sticky.ts';
import { checkPath, findRoute, restOfPath, splitTarget, type Target } from '../url.ts';
import type { Trace } from './trace.ts';

export interface Match {
  target: Target;
  /** the client's host (Host header, or the URL's without one), checked */
  host: string;
  path: string;
  route: Route;
  rest: string;
  /** a sticky request: root-relative at the origin, so joined to its root, not its base path */
  fromOriginRoot?: boolean;
}

/** Notes the request's path, query and checked Host on `trace` as it reads them. */
export function matchRequest(request: Request, gateway: Gateway, trace: Trace): Match | GatewayError {
  const header = request.headers.get('host');
  const target = splitTarget(request.url, header);
  trace.path = target.path;
  trace.query = target.query;
  // Without a Host header (HTTP/1.0), the runtime's URL names the host.
  const host = header ?? target.origin.slice(target.origin.indexOf('://') + 3);
  const hostProblem = checkHost(host);
  if (hostProblem) return { status: 400, reason: hostProblem };
  trace.host = host;
  const verdict = checkPath(target.path);
  if (!verdict.ok) return { status: 400, reason: verdict.reason };
  const route = findRoute(gateway, host, verdict.path);
  if (!route || route.prefix === '') {
    // Root-relative: relative to the origin that served the referring page (its root, not its base path).
    const sticky = stickyRoute(request, gateway, host);
    if (sticky) return { target, host, path: verdict.path, route: sticky, rest: verdict.path, fromOriginRoot: true };
  }
  if (!route) return { status: 404, reason: `no route matches ${verdict.path}` };
  return { target, host, path: verdict.path, route, rest: restOfPath(route, verdict.path) };
}

