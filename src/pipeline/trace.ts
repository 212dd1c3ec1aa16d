// What one request did, as the operator sees it: filled in by the stages, read by the answer's
// own headers (request id, Server-Timing, Cache-Status) and by the log line and status page.
import type { Route } from '../config/compile.ts';

/** One request to an origin: which, how it ended, and how long until its headers (or failure). */
export interface Attempt {
  /** scheme://host[:port] of the origin asked */
  origin: string;
  /** `response` (status set), `connect` (unreachable, no valid HTTP answer), `timeout`, `aborted` (the client's upload was cut off) */
  outcome: 'response' | 'connect' | 'timeout' | 'aborted';
  status?: number;
  ms: number;
}

export interface Trace {
  /** Date.now() when the request arrived */
  start: number;
  /** the request id: sent upstream, on the answer, in error bodies and the log line */
  id: string;
  /** the id is the client's own (trustIncoming): any visible ASCII, so escaped where it is written */
  idFromClient?: boolean;
  /** the Host the client asked for, once read (match) */
  host?: string | null;
  /** the raw path and query as sent, once split (match) */
  path?: string;
  query?: string;
  /** the client's address */
  ip?: string | null;
  /** the route that took it, once chosen */
  route?: Route;
  /** every origin request made for it, in order (several with failover or retries) */
  attempts: Attempt[];
  /** the RFC 9211 Cache-Status parameters of the answer on a cache route (`hit; ttl=42`) */
  cache?: string;
  /** why the gateway refused or failed the request, when it did */
  reason?: string;
  /** a request for the status page: logged, never counted */
  admin?: boolean;
  /** on Cloudflare (or wrangler dev): the log entry goes out as an object, which Workers Logs indexes field by field */
  cloudflare?: boolean;
}

// Every field present from the start: one object shape, which keeps the stages' reads fast.
export const startTrace = (): Trace => ({
  start: Date.now(),
  id: '',
  idFromClient: false,
  host: undefined,
  path: undefined,
  query: undefined,
  ip: null,
  route: undefined,
  attempts: [],
  cache: undefined,
  reason: undefined,
  admin: false,
  cloudflare: false,
});
