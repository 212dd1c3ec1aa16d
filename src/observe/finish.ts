// The last step of every answer: the request id and Server-Timing on its headers, then the
// counters and the log line.
import type { Trace } from '../pipeline/trace.ts';
import { splitTarget } from '../url.ts';
import { logLine, maskSecrets, shouldLog } from './access-log.ts';
import { count, noteError } from './counters.ts';
import { serverTiming } from './server-timing.ts';
import type { Observe } from './settings.ts';

/** Adds the id and Server-Timing to an answer's (mutable) headers. */
export function stampHeaders(headers: Headers, trace: Trace, observe: Observe, now: number): void {
  headers.set(observe.requestId.header, trace.id);
  // Appended: an origin's own metrics (db;dur=53) stay beside the gateway's.
  if (observe.serverTiming) headers.append('server-timing', serverTiming(trace, now));
}

/** Counts the answer (status page) and logs it as the config says. `bytes`: its Content-Length, when known. */
export function record(request: Request, trace: Trace, observe: Observe, status: number, bytes: number | null, now: number): void {
  const counted = !trace.admin;
  if (counted) count(trace.route, status, now - trace.start, bytes, now);
  const logged = shouldLog(observe.log, status);
  if (!logged && !(counted && status >= 400)) return;

  // Set by match on every routed request; an invalid config or a status page request is not matched.
  let path = trace.path;
  let query = trace.query;
  if (path === undefined) ({ path, query } = splitTarget(request.url));
  if (counted && status >= 400) {
    noteError({
      time: new Date(now).toISOString(),
      id: trace.id,
      status,
      method: request.method,
      path: observe.secrets.length ? maskSecrets(path, observe.secrets) : path,
      route: trace.route?.path ?? null,
      reason: trace.reason ? (observe.secrets.length ? maskSecrets(trace.reason, observe.secrets) : trace.reason) : `the origin answered ${status}`,
    });
  }
  if (!logged) return;
  const host = trace.host !== undefined ? trace.host : request.headers.get('host');
  const shown = observe.log.query && query ? path + query : path;
  const line = logLine(trace, { method: request.method, host, path: shown, status, bytes, now }, observe.secrets);
  // Workers Logs keeps a string as one message but indexes an object's fields; bare workerd
  // prints a string as it is, one JSON line.
  console.log(trace.cloudflare ? JSON.parse(line) : line);
}
