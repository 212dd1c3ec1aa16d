// The gateway's own answers: JSON for programs, a small page for browsers. They name
// the route and the reason, and never carry a stack trace or a secret.

export interface GatewayError {
  status: number;
  reason: string;
  /** the route's configured path, when one was chosen */
  route?: string;
  headers?: Record<string, string>;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Content Too Large',
  429: 'Too Many Requests',
  500: 'Gateway Misconfigured',
  502: 'Bad Gateway',
  504: 'Gateway Timeout',
  508: 'Loop Detected',
};

/**
 * The Response constructor only takes 200-599, but fetch passes an origin's 600-999 (LinkedIn's
 * 999) through: such a response can be relayed as it is, never rebuilt with changed headers.
 */
export const rebuildable = (status: number) => status >= 200 && status <= 599;

/** What the client gets when a response the route must change (CORS, header rules, rewriting) cannot be rebuilt. */
export function unrebuildable(upstream: Response, routePath: string): GatewayError {
  // Unread, the body would hold the origin's connection until the runtime gives up on it.
  void upstream.body?.cancel().catch(() => {});
  return { status: 502, reason: `upstream answered with status ${upstream.status}, which the gateway cannot relay with this route's changes (Workers build responses with 200-599 only)`, route: routePath };
}

/**
 * The client's request body errored while it was being forwarded (cut off, malformed chunked
 * encoding): the upstream request is abandoned, and the answer says whose fault it was.
 */
export function brokenRequestBody(route: string): GatewayError {
  return { status: 502, reason: "the client's request body was cut off or malformed, so the upstream request was abandoned", route };
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** `id`: the request id, which the body names so a user can quote it. */
export function errorResponse(error: GatewayError, accept: string | null, problems?: string[], id?: string): Response {
  const title = TITLES[error.status] ?? 'Error';
  const headers = new Headers(error.headers);
  headers.set('cache-control', 'no-store');
  headers.set('x-content-type-options', 'nosniff');
  if (accept?.toLowerCase().includes('text/html')) {
    headers.set('content-type', 'text/html; charset=utf-8');
    const list = problems?.length ? `<ul>${problems.map((p) => `<li><code>${escapeHtml(p)}</code></li>`).join('')}</ul>` : '';
    const route = error.route ? `<p>Route: <code>${escapeHtml(error.route)}</code></p>` : '';
    const request = id ? `<p>Request id: <code>${escapeHtml(id)}</code></p>` : '';
    const body = `<!doctype html><meta charset="utf-8"><title>${error.status} ${title}</title><h1>${error.status} ${title}</h1><p>${escapeHtml(error.reason)}</p>${route}${request}${list}<hr><small>switchyard</small>\n`;
    return new Response(body, { status: error.status, headers });
  }
  headers.set('content-type', 'application/json; charset=utf-8');
  const body = { error: { status: error.status, title, reason: error.reason, route: error.route ?? null, ...(id ? { requestId: id } : {}), ...(problems ? { problems } : {}) } };
  return new Response(JSON.stringify(body) + '\n', { status: error.status, headers });
}
