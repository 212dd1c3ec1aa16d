// The one source of the routes.json shape: it yields the TypeScript types (below),
// the runtime validation (compile.ts) and routes.schema.json (scripts/schema.ts).
import * as v from 'valibot';

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const headerName = v.pipe(v.string(), v.regex(HEADER_NAME, 'must be a valid HTTP header name'));

const headerOps = v.strictObject({
  set: v.optional(v.record(headerName, v.string())),
  remove: v.optional(v.array(headerName)),
});

const httpUrl = v.pipe(
  v.string(),
  v.regex(/^https?:\/\/[^/?#@\s]+(\/[^?#\s]*)?$/i, 'must be an absolute http(s) URL with no query or fragment'),
  // The shape alone lets through what the URL parser refuses (a port past 65535, `[::1`).
  v.check((value) => URL.canParse(value), 'is not a valid URL: check its host and port'),
);

const originPattern = v.pipe(
  v.string(),
  v.regex(/^(\*|null|https?:\/\/[^/?#\s]+)$/i, 'must be "*", "null" or scheme://host[:port] (wildcards allowed)'),
);

const method = v.pipe(v.string(), v.regex(/^[A-Za-z]+$/, 'must be an HTTP method name'));

const secretRef = v.pipe(v.string(), v.regex(/\$\{[A-Za-z_][A-Za-z0-9_]*\}/, 'must reference a binding as ${NAME}'));

const corsObject = v.strictObject({
  origins: v.optional(v.array(originPattern)),
  credentials: v.optional(v.boolean()),
  methods: v.optional(v.array(method)),
  headers: v.optional(v.array(headerName)),
  exposeHeaders: v.optional(v.array(headerName)),
  maxAge: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
});

const cidr = v.pipe(
  v.string(),
  v.regex(/^[0-9A-Fa-f:.]+(\/\d{1,3})?$/, 'must be an IPv4 or IPv6 address or CIDR range'),
);

const access = v.strictObject({
  allowIps: v.optional(v.array(cidr)),
  denyIps: v.optional(v.array(cidr)),
  methods: v.optional(v.array(method)),
  auth: v.optional(
    v.strictObject({
      type: v.picklist(['bearer', 'basic']),
      // Bearer: the token; basic: "user:password". Normally a ${SECRET}.
      credential: secretRef,
    }),
  ),
  maxBodyBytes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
});

const rateLimit = v.strictObject({
  // Name of a [[ratelimits]] binding in wrangler.toml.
  binding: v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a binding name')),
  // Key requests by client IP (default) or by the value of a request header.
  key: v.optional(v.union([v.literal('ip'), v.pipe(v.string(), v.regex(/^header:[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be "ip" or "header:NAME"'))])),
  // The binding's `simple.period` (10 or 60 seconds), told to clients in Retry-After.
  period: v.optional(v.picklist([10, 60], 'must be 10 or 60 (the binding\'s period)')),
});

const wholeSeconds = v.pipe(v.number(), v.integer(), v.minValue(0));

const cache = v.strictObject({
  ttl: v.optional(wholeSeconds),
  override: v.optional(v.boolean()),
  staleWhileRevalidate: v.optional(wholeSeconds),
  staleIfError: v.optional(wholeSeconds),
  query: v.optional(v.union([v.picklist(['all', 'none']), v.array(v.pipe(v.string(), v.minLength(1, 'must not be empty')))], 'must be "all", "none" or a list of parameter names')),
  vary: v.optional(v.array(headerName)),
  cookies: v.optional(v.picklist(['bypass', 'ignore'])),
  version: v.optional(v.string()),
  maxEntryBytes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
});

const substitution = v.strictObject({
  match: v.pipe(v.string(), v.minLength(1, 'must not be empty')),
  replace: v.string(),
  flags: v.optional(v.pipe(v.string(), v.regex(/^[gimsuy]*$/, 'must be regex flags from "gimsuy"'))),
  contentTypes: v.optional(v.array(v.string())),
});

// Origin pools (src/pool/): members, how a request picks one, when it tries another, passive health.
const poolMember = v.union(
  [
    httpUrl,
    v.strictObject({
      url: httpUrl,
      weight: v.optional(v.pipe(v.number(), v.gtValue(0, 'must be greater than 0'), v.maxValue(1_000_000, 'must be at most 1000000'))),
      backup: v.optional(v.boolean()),
    }),
  ],
  'must be a URL string or an object { "url", "weight", "backup" }',
);

const BALANCE_MESSAGE = 'must be "first", "round_robin", "random", "ip_hash" or "least_busy"';
const balance = v.picklist(['first', 'round_robin', 'random', 'ip_hash', 'least_busy'], BALANCE_MESSAGE);

const RETRY_ON_MESSAGE = 'must be "connect", "timeout" or a status from 500 to 599';
const retryOn = v.union(
  [
    v.picklist(['connect', 'timeout'], RETRY_ON_MESSAGE),
    v.pipe(v.number(RETRY_ON_MESSAGE), v.integer(RETRY_ON_MESSAGE), v.minValue(500, RETRY_ON_MESSAGE), v.maxValue(599, RETRY_ON_MESSAGE)),
  ],
  RETRY_ON_MESSAGE,
);

const HEALTH_STATUS_MESSAGE = 'must be a status from 500 to 599, or 429';
const healthStatus = v.union(
  [
    v.literal(429, HEALTH_STATUS_MESSAGE),
    v.pipe(v.number(HEALTH_STATUS_MESSAGE), v.integer(HEALTH_STATUS_MESSAGE), v.minValue(500, HEALTH_STATUS_MESSAGE), v.maxValue(599, HEALTH_STATUS_MESSAGE)),
  ],
  HEALTH_STATUS_MESSAGE,
);

const seconds = v.pipe(v.number(), v.gtValue(0, 'must be greater than 0 (seconds)'), v.maxValue(86_400, 'must be at most 86400 (a day)'));

const retry = v.strictObject({
  // Each attempt is a subrequest, and the runtime caps them per request (50 on the free plan).
  attempts: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0, 'must be >=0'), v.maxValue(10, 'must be at most 10 (each attempt is a subrequest)'))),
  on: v.optional(v.array(retryOn)),
  methods: v.optional(v.array(method)),
  bodyBytes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0, 'must be >=0'), v.maxValue(1_048_576, 'must be at most 1048576 (1 MiB; the body is held in memory)'))),
  attemptTimeout: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1, 'must be at least 1 ms'))),
});

const health = v.strictObject({
  failures: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1, 'must be at least 1'))),
  window: v.optional(seconds),
  cooldown: v.optional(seconds),
  statuses: v.optional(v.array(healthStatus)),
});

export const routeSchema = v.strictObject({
  path: v.pipe(v.string(), v.regex(/^\/[^?#\s]*$/, 'must start with "/" and hold no query, fragment or space')),
  origin: v.optional(httpUrl),
  origins: v.optional(v.pipe(v.array(poolMember), v.minLength(1, 'must list at least one origin'))),
  balance: v.optional(balance),
  retry: v.optional(retry),
  health: v.optional(health),
  host: v.optional(v.pipe(v.string(), v.regex(/^(\*\.)?[A-Za-z0-9.-]+(:\d+)?$/, 'must be a host name, optionally "*." + domain'))),
  stripPrefix: v.optional(v.boolean()),
  preserveHost: v.optional(v.boolean()),
  cors: v.optional(v.union([v.boolean(), corsObject])),
  headers: v.optional(v.strictObject({ request: v.optional(headerOps), response: v.optional(headerOps) })),
  rewriteLinks: v.optional(v.boolean()),
  substitutions: v.optional(v.array(substitution)),
  sticky: v.optional(v.boolean()),
  timeout: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1, 'must be at least 1 ms'))),
  access: v.optional(access),
  rateLimit: v.optional(rateLimit),
  cache: v.optional(v.union([v.boolean(), cache])),
});

const requestId = v.strictObject({
  header: v.optional(headerName),
  trustIncoming: v.optional(v.boolean()),
});

const logRequests = v.picklist(['all', 'errors', 'none'], 'must be "all", "errors" or "none"');

const log = v.union([
  logRequests,
  v.strictObject({
    requests: v.optional(logRequests),
    sample: v.optional(v.pipe(v.number(), v.minValue(0, 'must be between 0 and 1'), v.maxValue(1, 'must be between 0 and 1'))),
    query: v.optional(v.boolean()),
  }),
]);

const admin = v.strictObject({
  // Plain segments only, none of them dot-led, so no spelling of it is a different path.
  path: v.optional(v.pipe(v.string(), v.regex(/^(\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)+$/, 'must be a path such as "/_switchyard" (letters, digits, -._~; not "/")'))),
  auth: v.strictObject({
    type: v.picklist(['bearer', 'basic']),
    credential: secretRef,
  }),
  allowIps: v.optional(v.array(cidr)),
});

export const configSchema = v.strictObject({
  $schema: v.optional(v.string()),
  id: v.optional(v.pipe(v.string(), v.regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be a token (letters, digits, -._~)'))),
  requestId: v.optional(requestId),
  log: v.optional(log),
  serverTiming: v.optional(v.boolean()),
  admin: v.optional(admin),
  routes: v.array(routeSchema),
});

export type RoutesConfig = v.InferOutput<typeof configSchema>;
export type RouteConfig = v.InferOutput<typeof routeSchema>;
export type CorsConfig = v.InferOutput<typeof corsObject>;
export type AccessConfig = v.InferOutput<typeof access>;
export type CacheConfig = v.InferOutput<typeof cache>;
export type AdminConfig = v.InferOutput<typeof admin>;
export type SubstitutionConfig = v.InferOutput<typeof substitution>;
export type PoolMemberConfig = v.InferOutput<typeof poolMember>;
export type RetryConfig = v.InferOutput<typeof retry>;
export type HealthConfig = v.InferOutput<typeof health>;
export type BalanceConfig = v.InferOutput<typeof balance>;
