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
  /** the route that took it, once chosen */
  route?: Route;
  /** every origin request made for it, in order (several with failover or retries) */
  attempts: Attempt[];
  /** the RFC 9211 Cache-Status parameters of the answer on a cache route (`hit; ttl=42`) */
  cache?: string;
  /** why the gateway refused or failed the request, when it did */
  reason?: string;
}

export const startTrace = (): Trace => ({ start: Date.now(), attempts: [] });
