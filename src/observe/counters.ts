// What this isolate (one of many on the edge; one workerd process under `npm run serve`)
// has answered since it started: requests per route and status class, latency percentiles,
// bytes, and the last errors. Fixed-size structures: nothing grows with traffic.
import type { Route } from '../config/compile.ts';

/**
 * Latency in a log-bucket histogram: exact below 32 ms, then 8 buckets per power of two
 * (each at most 12.5% wide), up to 2^31 ms. A percentile reads as its bucket's upper bound.
 */
const EXACT = 32;
const SUB = 8;
const BUCKETS = EXACT + (31 - 5) * SUB;

export function bucketOf(ms: number): number {
  if (ms < EXACT) return ms < 0 ? 0 : ms;
  const exponent = 31 - Math.clz32(ms);
  const sub = (ms >>> (exponent - 3)) & (SUB - 1);
  const index = EXACT + (exponent - 5) * SUB + sub;
  return index < BUCKETS ? index : BUCKETS - 1;
}

/** The largest ms that falls in `index`. */
export function bucketLimit(index: number): number {
  if (index < EXACT) return index;
  const exponent = 5 + Math.floor((index - EXACT) / SUB);
  const sub = (index - EXACT) % SUB;
  return ((SUB + sub + 1) << (exponent - 3)) - 1;
}

export interface Tally {
  requests: number;
  /** answers by status class: 1xx (WebSocket upgrades) to 5xx */
  statuses: [number, number, number, number, number];
  /** sum of the answers' Content-Length */
  bytes: number;
  /** answers without a Content-Length (streamed): their size is not in `bytes` */
  unsized: number;
  latency: Uint32Array;
}

const tally = (): Tally => ({ requests: 0, statuses: [0, 0, 0, 0, 0], bytes: 0, unsized: 0, latency: new Uint32Array(BUCKETS) });

export interface RecentError {
  time: string;
  id: string;
  status: number;
  method: string;
  /** path without the query */
  path: string;
  /** the route's path, or null */
  route: string | null;
  reason: string;
}

export const RECENT_ERRORS = 50;

// Set by the first answer: the runtime's clock reads 0 while the module is loaded.
let started = 0;
const all = tally();
/** Requests no route took (404, a refused path, an invalid config). */
const unrouted = tally();
// Keyed by the compiled route: a changed config starts its routes from zero.
const byRoute = new WeakMap<Route, Tally>();
const recent: RecentError[] = [];
let nextRecent = 0;

function add(into: Tally, status: number, ms: number, bytes: number | null): void {
  into.requests++;
  const statusClass = (status / 100) | 0;
  if (statusClass >= 1 && statusClass <= 5) into.statuses[statusClass - 1]! += 1;
  if (bytes === null) into.unsized++;
  else into.bytes += bytes;
  into.latency[bucketOf(ms)]!++;
}

/** Counts one answer. */
export function count(route: Route | undefined, status: number, ms: number, bytes: number | null, now: number): void {
  if (!started) started = now;
  add(all, status, ms, bytes);
  let own = route ? byRoute.get(route) : unrouted;
  if (!own) byRoute.set(route!, (own = tally()));
  add(own, status, ms, bytes);
}

/** Keeps the last RECENT_ERRORS errors, oldest overwritten first. */
export function noteError(error: RecentError): void {
  recent[nextRecent] = error;
  nextRecent = (nextRecent + 1) % RECENT_ERRORS;
}

export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export function percentiles(latency: Uint32Array, requests: number): Percentiles {
  if (!requests) return { p50: null, p95: null, p99: null };
  const at = (share: number) => {
    const wanted = Math.ceil(requests * share);
    let seen = 0;
    for (let i = 0; i < latency.length; i++) {
      seen += latency[i]!;
      if (seen >= wanted) return bucketLimit(i);
    }
    return bucketLimit(latency.length - 1);
  };
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

export interface TallyView {
  requests: number;
  statuses: Record<'1xx' | '2xx' | '3xx' | '4xx' | '5xx', number>;
  bytes: number;
  unsized: number;
  latencyMs: Percentiles;
}

const view = (t: Tally): TallyView => ({
  requests: t.requests,
  statuses: { '1xx': t.statuses[0], '2xx': t.statuses[1], '3xx': t.statuses[2], '4xx': t.statuses[3], '5xx': t.statuses[4] },
  bytes: t.bytes,
  unsized: t.unsized,
  latencyMs: percentiles(t.latency, t.requests),
});

export interface CountersView {
  /** the first answer counted, or null before any */
  since: string | null;
  all: TallyView;
  unrouted: TallyView;
  routes: Map<Route, TallyView>;
  /** newest first */
  recentErrors: RecentError[];
}

export function counters(routes: readonly Route[]): CountersView {
  const ordered = [...recent.slice(nextRecent), ...recent.slice(0, nextRecent)].reverse();
  return {
    since: started ? new Date(started).toISOString() : null,
    all: view(all),
    unrouted: view(unrouted),
    routes: new Map(routes.map((route) => [route, view(byRoute.get(route) ?? tally())])),
    recentErrors: ordered,
  };
}
