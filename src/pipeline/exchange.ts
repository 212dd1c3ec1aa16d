// What the stages pass along for one request.
import type { Gateway, Route, Upstream } from '../config/compile.ts';
import type { GatewayError } from '../errors.ts';
import type { Target } from '../url.ts';
import type { Trace } from './trace.ts';

export interface Exchange {
  request: Request;
  env: Record<string, unknown>;
  gateway: Gateway;
  target: Target;
  /** the client's host, checked by match: the only one X-Forwarded-Host and preserveHost may carry */
  host: string;
  /** normalized path the route was chosen on */
  path: string;
  route: Route;
  /** what follows the route's prefix (or the whole path without stripPrefix) */
  rest: string;
  /** sticky request: joined to the origin's root, not its base path */
  fromOriginRoot?: boolean;
  clientIp: string | null;
  /** what the request did, for its answer's headers and the log line */
  trace: Trace;
  /** keeps the invocation alive for work after the answer (storing it in the cache) */
  ctx: Pick<ExecutionContext, 'waitUntil'>;
  /** set by forward: the upstream and exact URL that answered */
  upstream?: Upstream;
  upstreamUrl?: string;
  /** set by guard when it may cut off the request body: aborts the upstream fetch */
  abort?: AbortSignal;
  /** set when the request body was cut off mid-stream (e.g. over access.maxBodyBytes): the answer instead of a 502 */
  bodyError?: GatewayError;
}
