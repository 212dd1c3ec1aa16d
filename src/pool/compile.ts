// A route's `origin`/`origins`, `balance`, `retry` and `health` fields, compiled once per
// isolate into its upstreams (every member, for link and cookie mapping) and, when the route
// has more than one origin or any pool field, a Pool. A plain single-origin route gets none and
// keeps forward's one-fetch path.
import type { Upstream } from '../config/compile.ts';
import type { RouteConfig } from '../config/schema.ts';
import { hashAddress } from './balance.ts';
import { DEFAULT_HEALTH, freshHealth, type HealthPolicy } from './health.ts';
import type { Member, Pool } from './pool.ts';
import { BODILESS_METHODS, DEFAULT_RETRY, type RetryPolicy } from './retry.ts';

/** `timeout`: the route's, in ms (what retry.attemptTimeout must stay under). */
export function compilePool(entry: RouteConfig, timeout: number, at: string, problems: string[]): { upstreams: Upstream[]; pool: Pool | null } {
  const listed = entry.origins ?? (entry.origin ? [entry.origin] : []);
  const members: Member[] = listed.map((item, index) => {
    const { url, weight = 1, backup = false } = typeof item === 'string' ? { url: item } : item;
    const upstream = parseUpstream(url);
    return { index, upstream, weight, backup, seed: hashAddress(upstream.origin + upstream.base), current: 0, inFlight: 0, health: freshHealth() };
  });
  const upstreams = members.map((member) => member.upstream);
  if (members.length && members.every((member) => member.backup)) {
    problems.push(`${at}.origins: every origin is a backup; a backup only gets traffic when the others are out, so at least one must not be`);
  }

  const retry = compileRetry(entry, members.length, timeout, `${at}.retry`, problems);
  const health = compileHealth(entry.health);
  const plain = members.length === 1 && !entry.balance && !entry.retry && !entry.health;
  if (plain || !members.length) return { upstreams, pool: null };
  return { upstreams, pool: { members, balance: entry.balance ?? 'first', retry, keepsBodies: !!entry.retry && retry.bodyBytes > 0, health } };
}

function compileRetry(entry: RouteConfig, size: number, timeout: number, at: string, problems: string[]): RetryPolicy {
  const config = entry.retry;
  if (!config) {
    // No retry field: each other origin once, after a connection failure, and only without a body (none is kept).
    return { attempts: Math.max(size - 1, 0), onConnect: true, onTimeout: false, statuses: new Set(), methods: new Set(), bodyBytes: 0, attemptTimeout: null };
  }
  const on = config.on ?? DEFAULT_RETRY.on;
  const methods = new Set((config.methods ?? DEFAULT_RETRY.methods).map((method) => method.toUpperCase()));
  const bodyBytes = config.bodyBytes ?? DEFAULT_RETRY.bodyBytes;
  if (bodyBytes === 0) {
    const withBody = [...methods].filter((method) => !BODILESS_METHODS.has(method));
    if (withBody.length) {
      problems.push(`${at}.bodyBytes: 0 keeps no request body to replay, yet retry.methods lists ${withBody.join(', ')}, which carr${withBody.length > 1 ? 'y' : 'ies'} one; raise bodyBytes or list only ${[...BODILESS_METHODS].join(', ')}`);
    }
  }
  if (config.attemptTimeout !== undefined && config.attemptTimeout >= timeout) {
    problems.push(`${at}.attemptTimeout: must be shorter than the route's timeout (${timeout} ms), or a timed-out attempt leaves no time to try another origin`);
  }
  return {
    attempts: config.attempts ?? DEFAULT_RETRY.attempts,
    onConnect: on.includes('connect'),
    onTimeout: on.includes('timeout'),
    statuses: new Set(on.filter((item): item is number => typeof item === 'number')),
    methods,
    bodyBytes,
    attemptTimeout: config.attemptTimeout ?? null,
  };
}

function compileHealth(config: RouteConfig['health']): HealthPolicy | null {
  if (!config) return null;
  return {
    failures: config.failures ?? DEFAULT_HEALTH.failures,
    window: (config.window ?? DEFAULT_HEALTH.window) * 1000,
    cooldown: (config.cooldown ?? DEFAULT_HEALTH.cooldown) * 1000,
    statuses: new Set(config.statuses ?? DEFAULT_HEALTH.statuses),
  };
}

function parseUpstream(origin: string): Upstream {
  const url = new URL(origin);
  return { origin: url.origin, base: url.pathname.replace(/\/+$/, '') };
}
