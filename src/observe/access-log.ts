// The access log: one JSON line per request on console.log, which Workers Logs stores and
// queries, `wrangler tail --format json` shows and bare workerd (`npm run serve`) prints to
// stdout. Built as one template string: it runs on every request.
import type { Route } from '../config/compile.ts';
import type { Trace } from '../pipeline/trace.ts';
import { MIN_REDACTED_LENGTH } from '../redact.ts';
import type { Observe } from './settings.ts';

/** Errors (4xx, 5xx) are logged unless `none`; other answers with `all`, thinned by `sample`. */
export function shouldLog(settings: Observe['log'], status: number): boolean {
  if (settings.requests === 'none') return false;
  if (status >= 400) return true;
  if (settings.requests === 'errors') return false;
  return settings.sample >= 1 || Math.random() < settings.sample;
}

export interface LogFacts {
  method: string;
  host: string | null;
  /** path as sent; with its query only where the config logs queries */
  path: string;
  status: number;
  bytes: number | null;
  now: number;
}

// What JSON cannot hold as it is: quotes, backslashes, control characters, lone surrogates.
const NEEDS_ESCAPE = /["\\\x00-\x1f\ud800-\udfff]/;
/** A JSON string; the regular expression is cheaper than JSON.stringify on the text that needs nothing. */
const json = (text: string) => (NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`);
const clean = (text: string, secrets: readonly string[]) => json(secrets.length ? maskSecrets(text, secrets) : text);

/**
 * The line. Everything a client controls (host, path, a trusted id, reasons quoting them) is
 * escaped as JSON needs; values the gateway makes or checks (generated ids, numbers, client
 * addresses, configured paths, origins) are written as they are or escaped once per config.
 * Durations are made small integers first: they convert to text far cheaper than doubles.
 */
export function logLine(trace: Trace, facts: LogFacts, secrets: readonly string[]): string {
  const { attempts } = trace;
  const last = attempts.length ? attempts[attempts.length - 1] : undefined;
  const id = trace.idFromClient ? clean(trace.id, secrets) : `"${trace.id}"`;
  const host = facts.host === null ? 'null' : clean(facts.host, secrets);
  let line = `{"time":"${isoTime(facts.now)}","id":${id},"method":"${facts.method}","host":${host},"path":${clean(facts.path, secrets)},"route":${trace.route ? routeJson(trace.route) : 'null'},"origin":${last ? originJson(last.origin) : 'null'},"status":${facts.status},"originStatus":${last?.status ?? 'null'},"ms":${(facts.now - trace.start) | 0},"originMs":${last ? last.ms | 0 : 'null'},"bytes":${facts.bytes ?? 'null'},"ip":${trace.ip ? `"${trace.ip}"` : 'null'}`;
  if (attempts.length > 1) {
    line += `,"attempts":[${attempts.map((a) => `{"origin":${originJson(a.origin)},"outcome":"${a.outcome}","status":${a.status ?? 'null'},"ms":${a.ms}}`).join(',')}]`;
  }
  if (trace.cache) line += `,"cache":${json(trace.cache)}`;
  if (trace.reason) line += `,"reason":${clean(trace.reason, secrets)}`;
  if (trace.admin) line += ',"admin":true';
  return line + '}';
}

/**
 * Secret values a client might have sent back (in a path, a Host, an id) are masked with `*`.
 * Short ones would mask ordinary text (`eu`, `on`): they count only as a whole value, as in
 * response headers.
 */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= MIN_REDACTED_LENGTH) {
      if (out.includes(secret)) out = out.replaceAll(secret, '*'.repeat(secret.length));
    } else if (out === secret) out = '*'.repeat(secret.length);
  }
  return out;
}

const routeNames = new WeakMap<Route, string>();
function routeJson(route: Route): string {
  let name = routeNames.get(route);
  if (name === undefined) routeNames.set(route, (name = JSON.stringify(route.path)));
  return name;
}

// Origins come from the config: a handful, escaped once each.
const originNames = new Map<string, string>();
function originJson(origin: string): string {
  let name = originNames.get(origin);
  if (name === undefined) {
    if (originNames.size > 1000) originNames.clear();
    originNames.set(origin, (name = JSON.stringify(origin)));
  }
  return name;
}

// Date's ISO formatting costs more than the rest of the line: the part up to the second is
// kept and the milliseconds appended.
let second = NaN;
let secondText = '';
export function isoTime(now: number): string {
  const s = Math.floor(now / 1000);
  if (s !== second) {
    second = s;
    secondText = new Date(s * 1000).toISOString().slice(0, 20);
  }
  const ms = (now - s * 1000) | 0;
  return `${secondText}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`;
}
