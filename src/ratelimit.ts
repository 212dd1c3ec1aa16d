// Per-route rate limiting with the Workers Rate Limiting binding ([[ratelimits]] in
// wrangler.toml): counters live at Cloudflare (and in wrangler dev), not in the isolate.
import type { RouteConfig } from './config/schema.ts';
import type { GatewayError } from './errors.ts';

type RateLimitConfig = NonNullable<RouteConfig['rateLimit']>;

export interface RateLimiter {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

export const DEFAULT_PERIOD_SECONDS = 60;

const isRateLimiter = (value: unknown): value is RateLimiter =>
  typeof value === 'object' && value !== null && typeof (value as RateLimiter).limit === 'function';

/** A route naming a binding the Worker does not have is a config error, not an unlimited route. */
export function rateLimitBindingProblem(config: RateLimitConfig | undefined, env: Record<string, unknown>, at: string): string | null {
  if (!config || isRateLimiter(env[config.binding])) return null;
  return `${at}: no rate limiting binding named ${config.binding} (add a [[ratelimits]] entry with name = "${config.binding}" to wrangler.toml)`;
}

/** A route as its rate limit tells it apart: `/api` on two hosts is two routes with two counters. */
export interface LimitedRoute {
  path: string;
  host?: string;
}

/**
 * The counter a request is charged to: the route (host and path) plus the client IP, or the
 * value of the configured header (falling back to the IP when the header is absent, so
 * leaving it off does not buy a fresh bucket).
 */
export function rateLimitKey(config: RateLimitConfig, route: LimitedRoute, headers: Headers, clientIp: string | null): string {
  const scope = `${route.host ?? ''}${route.path}`;
  const ip = `ip:${clientIp ?? 'unknown'}`;
  if (config.key?.startsWith('header:')) {
    const name = config.key.slice('header:'.length);
    const value = headers.get(name);
    return `${scope} ${value === null ? ip : `${name.toLowerCase()}:${value}`}`;
  }
  return `${scope} ${ip}`;
}

export async function checkRateLimit(
  config: RateLimitConfig,
  env: Record<string, unknown>,
  route: LimitedRoute,
  headers: Headers,
  clientIp: string | null,
): Promise<GatewayError | null> {
  const limiter = env[config.binding];
  if (!isRateLimiter(limiter)) {
    return { status: 500, reason: `rate limiting binding ${config.binding} is not configured`, route: route.path };
  }
  const { success } = await limiter.limit({ key: rateLimitKey(config, route, headers, clientIp) });
  if (success) return null;
  const period = config.period ?? DEFAULT_PERIOD_SECONDS;
  return {
    status: 429,
    reason: `rate limit exceeded on this route; retry in ${period} s`,
    route: route.path,
    headers: { 'retry-after': String(period) },
  };
}
