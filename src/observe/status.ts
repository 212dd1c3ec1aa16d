// What the status page shows: the build, where the config came from, every route with its
// origins (probed live) and features, and this isolate's counters. Never a secret's value or
// a credential: header rules show names only, access rules show what kind, not the value.
import type { Gateway, Route } from '../config/compile.ts';
import { version } from '../../package.json';
import { counters, type RecentError, type TallyView } from './counters.ts';
import type { Observe } from './settings.ts';

// Stamped by scripts/workerd.ts (npm run serve, tests, benchmarks) with `wrangler --define`.
declare const SWITCHYARD_BUILT_AT: string | undefined;
const BUILT_AT = typeof SWITCHYARD_BUILT_AT === 'string' ? SWITCHYARD_BUILT_AT : null;

export const PROBE_TIMEOUT_MS = 3000;
/** Subrequests per request are limited (50 on the free plan): origins past this are not probed. */
export const MAX_PROBES = 40;

export interface Probe {
  reachable: boolean;
  /** the origin's status, when it answered */
  status: number | null;
  /** until its response headers, or until it failed */
  ms: number;
  error?: string;
}

/** An origin's passive health, as origin pools report it (src/pool/pool.ts poolStatus). */
export interface OriginHealth {
  /** probing: its cooldown is over, and the next request tests it */
  state: 'up' | 'ejected' | 'probing' | 'unknown';
  /** ejected until (ISO time) */
  until?: string;
  weight?: number;
  backup?: boolean;
  /** requests of this isolate waiting for its response headers */
  inFlight?: number;
}

export interface StatusReport {
  generatedAt: string;
  requestId: string;
  gateway: { id: string; version: string; builtAt: string | null; deployment: { id: string; tag: string; timestamp: string } | null };
  config: { from: string; warnings: string[] };
  observe: { requestIdHeader: string; trustIncoming: boolean; log: Observe['log']; serverTiming: boolean };
  routes: RouteStatus[];
  counters: {
    scope: string;
    since: string | null;
    all: TallyView;
    unrouted: TallyView;
    recentErrors: RecentError[];
  };
}

export interface RouteStatus {
  path: string;
  host: string | null;
  origins: { url: string; health: OriginHealth; probe: Probe | null }[];
  features: Record<string, string | number | boolean>;
  counters: TallyView;
}

export const COUNTER_SCOPE =
  'Counted by the isolate that answered this page, since its first request: on Cloudflare one of many isolates (per data center, recycled at any time); under npm run serve one workerd process of several (one per core). The status page\'s own requests are not counted.';

export interface StatusInput {
  gateway: Gateway;
  env: Record<string, unknown>;
  warnings: string[];
  requestId: string;
  /** each origin's passive health (origin pools) */
  health: (route: Route) => OriginHealth[];
  now: number;
}

export async function statusReport(input: StatusInput): Promise<StatusReport> {
  const { gateway, env } = input;
  const probes = await probeAll(gateway, input.requestId);
  const seen = counters(gateway.routes);
  const { observe } = gateway;
  return {
    generatedAt: new Date(input.now).toISOString(),
    requestId: input.requestId,
    gateway: { id: gateway.id, version, builtAt: BUILT_AT, deployment: deployment(env.CF_VERSION_METADATA) },
    config: { from: env.ROUTES === undefined ? 'routes.json (bundled at build time)' : 'the ROUTES binding', warnings: input.warnings },
    observe: { requestIdHeader: observe.requestId.header, trustIncoming: observe.requestId.trustIncoming, log: observe.log, serverTiming: observe.serverTiming },
    routes: gateway.routes.map((route) => {
      const health = input.health(route);
      return {
        path: route.path,
        host: route.config.host ?? null,
        origins: route.upstreams.map((upstream, i) => {
          const url = upstream.origin + upstream.base;
          return { url, health: health[i] ?? { state: 'unknown' }, probe: probes.get(url) ?? null };
        }),
        features: features(route),
        counters: seen.routes.get(route)!,
      };
    }),
    counters: { scope: COUNTER_SCOPE, since: seen.since, all: seen.all, unrouted: seen.unrouted, recentErrors: seen.recentErrors },
  };
}

function deployment(metadata: unknown): StatusReport['gateway']['deployment'] {
  if (!metadata || typeof metadata !== 'object') return null;
  const { id, tag, timestamp } = metadata as Record<string, unknown>;
  return typeof id === 'string' ? { id, tag: typeof tag === 'string' ? tag : '', timestamp: typeof timestamp === 'string' ? timestamp : '' } : null;
}

/** What the route does, by name: never a header value, credential or pattern. */
export function features(route: Route): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  const { config } = route;
  if (route.cors) out.cors = route.cors.anyOrigin ? (route.cors.credentials ? 'any origin, with credentials' : 'any origin') : `${route.cors.exact.size + route.cors.patterns.length} origin(s)${route.cors.credentials ? ', with credentials' : ''}`;
  out.rewriteLinks = route.rewriteLinks;
  if (route.substitutions.length) out.substitutions = route.substitutions.length;
  if (route.access) {
    const parts = [];
    if (route.access.auth) parts.push(`${route.access.auth.type} auth`);
    if (route.access.allow) parts.push(`${route.access.allow.length} allowed range(s)`);
    if (route.access.deny.length) parts.push(`${route.access.deny.length} denied range(s)`);
    if (route.access.methods) parts.push(`methods ${route.access.methods.join(', ')}`);
    if (route.access.maxBodyBytes !== null) parts.push(`bodies up to ${route.access.maxBodyBytes} bytes`);
    out.access = parts.join('; ') || 'on';
  }
  if (config.rateLimit) out.rateLimit = `${config.rateLimit.binding} per ${config.rateLimit.key ?? 'ip'}`;
  if (route.cache) {
    const { ttl, staleWhileRevalidate, staleIfError, version } = route.cache;
    const parts = [`ttl ${ttl} s`];
    if (staleWhileRevalidate) parts.push(`stale-while-revalidate ${staleWhileRevalidate} s`);
    if (staleIfError) parts.push(`stale-if-error ${staleIfError} s`);
    if (version) parts.push(`version ${version}`);
    out.cache = parts.join(', ');
  }
  if (route.pool) out.balance = route.pool.balance;
  if (route.sticky && route.prefix !== '') out.sticky = true;
  if (!route.stripPrefix) out.stripPrefix = false;
  if (route.preserveHost) out.preserveHost = true;
  out.timeout = `${route.timeout} ms`;
  const names = (ops: Route['requestHeaders']) => [...ops.set.map(([name]) => name), ...ops.remove.map((name) => `-${name}`)].join(', ');
  if (route.requestHeaders.set.length || route.requestHeaders.remove.length) out.requestHeaders = names(route.requestHeaders);
  if (route.responseHeaders.set.length || route.responseHeaders.remove.length) out.responseHeaders = names(route.responseHeaders);
  return out;
}

/**
 * Every distinct origin at once, each cut off after PROBE_TIMEOUT_MS, so a hanging origin
 * never holds the page longer than that. A GET of the origin's base URL: any HTTP answer
 * counts as reachable; its body is not read.
 */
async function probeAll(gateway: Gateway, requestId: string): Promise<Map<string, Probe>> {
  const urls = [...new Set(gateway.routes.flatMap((route) => route.upstreams.map((upstream) => upstream.origin + upstream.base)))];
  const probed = urls.slice(0, MAX_PROBES);
  const results = await Promise.all(probed.map((url) => probe(url, gateway, requestId)));
  const out = new Map(probed.map((url, i) => [url, results[i]!]));
  for (const url of urls.slice(MAX_PROBES)) out.set(url, { reachable: false, status: null, ms: 0, error: `not probed: at most ${MAX_PROBES} origins per page (subrequest limit)` });
  return out;
}

async function probe(url: string, gateway: Gateway, requestId: string): Promise<Probe> {
  const signal = AbortSignal.timeout(PROBE_TIMEOUT_MS);
  const sent = Date.now();
  try {
    const response = await fetch(url, {
      redirect: 'manual',
      signal,
      headers: {
        'user-agent': `switchyard-status-probe (${gateway.id})`,
        // A gateway probing itself answers 508 instead of probing again.
        'cdn-loop': gateway.id,
        via: `1.1 ${gateway.id}`,
        [gateway.observe.requestId.header]: requestId,
      },
    });
    void response.body?.cancel().catch(() => {});
    return { reachable: true, status: response.status, ms: Date.now() - sent };
  } catch {
    const ms = Date.now() - sent;
    return signal.aborted
      ? { reachable: false, status: null, ms, error: `no response headers within ${PROBE_TIMEOUT_MS} ms` }
      : { reachable: false, status: null, ms, error: 'could not be reached or sent no valid HTTP response' };
  }
}
