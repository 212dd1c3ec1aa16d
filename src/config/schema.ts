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

const substitution = v.strictObject({
  match: v.pipe(v.string(), v.minLength(1, 'must not be empty')),
  replace: v.string(),
  flags: v.optional(v.pipe(v.string(), v.regex(/^[gimsuy]*$/, 'must be regex flags from "gimsuy"'))),
  contentTypes: v.optional(v.array(v.string())),
});

export const routeSchema = v.strictObject({
  path: v.pipe(v.string(), v.regex(/^\/[^?#\s]*$/, 'must start with "/" and hold no query, fragment or space')),
  origin: v.optional(httpUrl),
  origins: v.optional(v.pipe(v.array(httpUrl), v.minLength(1, 'must list at least one origin'))),
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
export type AdminConfig = v.InferOutput<typeof admin>;
export type SubstitutionConfig = v.InferOutput<typeof substitution>;
