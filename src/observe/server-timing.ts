// Server-Timing (W3C): where the time of a request went, for browser devtools and
// PerformanceResourceTiming.serverTiming. Times are the runtime's clock, which on Workers
// advances only across I/O: `origin` is the wait for origins' response headers, `gateway` the
// rest of the wait until the answer's headers (rate limiter, credential digests, config,
// cache), so the gateway's own CPU time reads as 0. No entry names an origin: its address
// would leak to clients.
import type { Trace } from '../pipeline/trace.ts';

export function serverTiming(trace: Trace, now: number): string {
  // Small integers: they convert to text far cheaper than the doubles Date.now() gives.
  const total = (now - trace.start) | 0;
  const { attempts } = trace;
  if (!attempts.length) return trace.cache ? `gateway;dur=${total}, cache;desc=${quoted(trace.cache)}` : `gateway;dur=${total}`;
  let origin = attempts[0]!.ms | 0;
  for (let i = 1; i < attempts.length; i++) origin += attempts[i]!.ms | 0;
  const own = total > origin ? total - origin : 0;
  // With failover or retries, desc says how many origin requests the time covers.
  const value = attempts.length === 1 ? `gateway;dur=${own}, origin;dur=${origin}` : `gateway;dur=${own}, origin;dur=${origin};desc="${attempts.length} attempts"`;
  return trace.cache ? `${value}, cache;desc=${quoted(trace.cache)}` : value;
}

/** An RFC 8941 string: `"` and `\` escaped, and nothing outside printable ASCII. */
function quoted(text: string): string {
  return `"${text.replace(/[^\x20-\x7e]/g, '').replace(/["\\]/g, '\\$&')}"`;
}
