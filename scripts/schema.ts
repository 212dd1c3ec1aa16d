// `npm run schema`: writes routes.schema.json from the valibot schema in src/config/schema.ts,
// so editors complete and check routes.json ("$schema": "./routes.schema.json").
// The structure comes from valibot; what JSON Schema cannot learn from it (field docs,
// "exactly one of origin/origins", case-insensitive patterns) is added here.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { toJsonSchema, type JsonSchema } from '@valibot/to-json-schema';
import { configSchema } from '../src/config/schema.ts';

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
export const SCHEMA_FILE = join(ROOT, 'routes.schema.json');

/** Field docs by location: `routes[]` is a route, `routes[].cors` its cors field (every branch of a union). */
const DOCS: Record<string, string> = {
  '': 'Routes of a switchyard gateway: which request paths go to which origins.',
  $schema: 'The JSON Schema this file follows, for editors: "./routes.schema.json". The gateway ignores it.',
  id: 'This deployment\'s name in Via and CDN-Loop: a request already carrying it in CDN-Loop is a loop and gets 508, so chained gateways need different ids. Default "switchyard".',
  requestId: 'Request ids: every request gets one, sent upstream in `header`, returned on every answer (errors, preflights and assets included; a WebSocket 101 is relayed as the origin sent it), named in error bodies and in the log line. Default { "header": "X-Request-Id", "trustIncoming": false }.',
  'requestId.header': 'The header the id goes upstream and back to the client in. Default "X-Request-Id". Headers the gateway or the runtime manage (Host, Cookie, Server-Timing, X-Forwarded-*, CF-*, ...) are refused.',
  'requestId.trustIncoming': 'Keep an id the client sent in `header` (1-128 characters of visible ASCII; anything else is replaced, never echoed). Default false: every request gets a fresh id (on Cloudflare its ray id, elsewhere a random UUID).',
  log: 'The access log: one JSON line per request on console.log (Workers Logs, wrangler tail, npm run serve\'s stdout). "all" (default), "errors" (status 400 and above) or "none", or an object. Never holds a value of an injected secret.',
  'log.requests': '"all" (default): every request, successful ones thinned by `sample`; "errors": answers with status 400 and above only; "none": no log lines.',
  'log.sample': 'Share of successful requests (status below 400) logged with "all", from 0 to 1; errors are always logged. Default 1.',
  'log.query': 'Log the path with its query string. Default false: query strings often carry tokens and personal data.',
  serverTiming: 'Server-Timing on every answer: the gateway\'s own wait, the origins\' time to response headers, and the cache outcome on cache routes; exposed to pages on CORS routes (with Timing-Allow-Origin). Default true.',
  admin: 'A status page (HTML, or JSON for Accept: application/json) with the routes, a live probe of every origin, and this isolate\'s counters. Off unless set; `auth` is required.',
  'admin.path': 'Where the status page answers, before any route. Default "/_switchyard".',
  'admin.auth': 'The credential the status page requires; a wrong or missing one gets a bare 401.',
  'admin.auth.type': '"bearer" (Authorization: Bearer <credential>) or "basic" (credential is "user:password").',
  'admin.auth.credential': 'The expected credential, as a ${NAME} reference to a secret (wrangler secret put NAME).',
  'admin.allowIps': 'Client addresses or CIDR ranges allowed to ask for the status page (others get 403). Default: any address with the credential.',
  routes: 'The routes. A request goes to the route with the longest matching path prefix; host-bound routes win over unbound ones of the same length, then file order.',
  'routes[]': 'One route: a path prefix and the origin it is forwarded to.',
  'routes[].path': 'Path prefix starting with "/", matched at a segment boundary: "/api" matches /api, /api/ and /api/x?q=1, never /apix. The longest matching prefix wins; "/" is the catch-all.',
  'routes[].origin': 'Absolute http(s) URL of the upstream, with no query or fragment. A path in it is a base path prepended to what is forwarded. Exactly one of origin or origins.',
  'routes[].origins': 'A pool of upstreams instead of origin: each a URL, or { "url", "weight", "backup" }. How a request picks one is balance; when it tries another, retry; passive health ejects failing ones. Exactly one of origin or origins.',
  'routes[].origins[]': 'A URL, or { "url", "weight", "backup" }.',
  'routes[].origins[].url': 'Absolute http(s) URL of this upstream; a path in it is its base path.',
  'routes[].origins[].weight': 'Its share of requests under round_robin, random, ip_hash and least_busy, relative to the others\' (greater than 0). Default 1.',
  'routes[].origins[].backup': 'Only gets requests when every other (non-backup) origin is ejected or has failed the request. Default false.',
  'routes[].balance': 'How a request picks an origin of the pool: "first" (in order; the next only when one fails), "round_robin" (smooth weighted, as nginx), "random" (weighted), "ip_hash" (the same client address keeps the same origin while it is up) or "least_busy" (fewest requests awaiting an answer from this isolate, for its weight). Default "first".',
  'routes[].retry': 'When a failed attempt goes to another origin (never the same one twice in a row when another exists), inside the route\'s timeout; never once the response\'s headers went to the client. Without it: the next origin only after a connection failure, only for requests without a body. Each field left out takes the default shown in its description.',
  'routes[].retry.attempts': 'Attempts after the first, at most (0-10; each one is a subrequest). Default 2.',
  'routes[].retry.on': 'What counts as a failed attempt: "connect" (no connection, or no valid HTTP answer), "timeout" (see attemptTimeout), and statuses from 500 to 599. Default ["connect", "timeout", 502, 503, 504].',
  'routes[].retry.methods': 'Methods retried on every failure in on; other methods only after a connection failure. Default ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"].',
  'routes[].retry.bodyBytes': 'The largest request body kept in memory to replay it byte-identical; a longer one streams to the first origin and is not retried. 0 keeps none (then methods may list only GET, HEAD, OPTIONS, DELETE, TRACE). At most 1048576. Default 65536.',
  'routes[].retry.attemptTimeout': 'Milliseconds one attempt may wait for response headers before the next origin is tried (a "timeout" failure); shorter than the route\'s timeout, which still bounds the whole request. Default: none. Without it each attempt gets all that remains of the route\'s timeout, so a timed-out attempt is not retried.',
  'routes[].health': 'Passive health, per isolate (per workerd process under npm run serve): an origin that fails failures times in window seconds is ejected for cooldown seconds, then one request probes it and its success brings it back. Off without this field. When every origin is ejected, requests go to them as if none were.',
  'routes[].health.failures': 'Failures (a connection failure, a timeout, or a status in statuses) within window that eject an origin. Default 3.',
  'routes[].health.window': 'Seconds the failures are counted over (sliding). Default 10.',
  'routes[].health.cooldown': 'Seconds an ejected origin gets no requests before one probes it. Default 30.',
  'routes[].health.statuses': 'Response statuses that count as a failure (500-599, or 429). Default [502, 503, 504].',
  'routes[].host': 'Only match requests whose Host is this name ("*.example.com" matches any subdomain, not the apex). Host-bound routes win over unbound ones of the same length. Default: any host.',
  'routes[].stripPrefix': 'Remove the matched path before joining onto the origin\'s base path: /api/users?x=1 on a route to https://api.example.com/v1 goes to https://api.example.com/v1/users?x=1. With false the full path is appended. Default true.',
  'routes[].preserveHost': 'Present the client\'s Host to the origin: on Cloudflare with cf.resolveOverride (honoured when the origin\'s hostname is in the same zone), under npm run serve through a workerd service per origin that connects to its address whatever Host it sends; wrangler dev cannot, and asks with the origin\'s own Host (and logs one warning). X-Forwarded-Host always carries the client\'s host. Default false.',
  'routes[].cors': 'CORS answered by the gateway. false: the gateway does nothing (OPTIONS goes upstream, the origin\'s CORS headers pass through). true: any origin, as { "origins": ["*"] }. An object: the policy. Default false.',
  'routes[].cors.origins': 'Allowed origins: exact ("https://app.example.com"), patterns ("http://localhost:*" for any port, "https://*.example.com" for one or more whole labels) or "*" for any. "null" is allowed only when listed. Default ["*"].',
  'routes[].cors.credentials': 'Allow cookies and Authorization: the request\'s origin is echoed (never "*", which browsers refuse) with Access-Control-Allow-Credentials: true. Default false.',
  'routes[].cors.methods': 'Methods a preflight may ask for, in any case; other preflights get 403. Default: any method.',
  'routes[].cors.headers': 'Request headers a preflight may ask for. Default: whatever the preflight asks for.',
  'routes[].cors.exposeHeaders': 'Response headers the page may read. Default: every header of the response (Set-Cookie and hop-by-hop ones aside).',
  'routes[].cors.maxAge': 'Seconds a browser may cache a preflight answer (Chromium caps it at 7200). Default 600.',
  'routes[].headers': 'Headers to set on or remove from the upstream request and the client\'s response.',
  'routes[].headers.request': 'Changes to the request sent upstream.',
  'routes[].headers.response': 'Changes to the response sent to the client.',
  'routes[].headers.request.set': 'Headers to set. Values may hold ${NAME}, replaced by the Worker binding (var or secret) NAME; an unbound NAME is a config error. An injected value never reaches the client. Setting Host is a config error (see preserveHost).',
  'routes[].headers.request.remove': 'Header names to remove.',
  'routes[].headers.response.set': 'Headers to set. Values may hold ${NAME}, replaced by the Worker binding (var or secret) NAME; an unbound NAME is a config error.',
  'routes[].headers.response.remove': 'Header names to remove.',
  'routes[].rewriteLinks': 'Rewrite URLs that point at any configured route\'s origin to that route\'s gateway path, as the body streams: in HTML, XHTML and SVG documents (attributes, styles, meta refresh, Content-Security-Policy) and in CSS (url(), @import, image-set()). Default true.',
  'routes[].substitutions': 'Regex replacements on the response text, in order, applied before link rewriting. Default: none.',
  'routes[].substitutions[].match': 'JavaScript regular expression source (in JSON, backslashes doubled: "10\\\\.1\\\\.2\\\\.3"). Matches up to 8 KiB long are found across chunk boundaries.',
  'routes[].substitutions[].replace': 'Replacement; may use $1, $<name> and $&. A result starting with "/" is a gateway path and is not link-rewritten again.',
  'routes[].substitutions[].flags': 'Regex flags from "gimsuy"; without "g" only the first match is replaced. Default "g".',
  'routes[].substitutions[].contentTypes': 'Media types to apply to (`type/*` and `type/*+suffix` allowed, "*" for any type). Default: HTML, XHTML, SVG, CSS, JavaScript, JSON, XML, plain text, and any +json or +xml type.',
  'routes[].sticky': "Sticky site: root-relative requests made by this route's pages that no route (or only the catch-all) claims go to this route, chosen by Referer, else by a site cookie that is never forwarded upstream; absolute links to this route's origin outside every base path become the same root-relative path. Such requests reach the origin's whole root: set false where the base path must confine clients. Default true.",
  'routes[].timeout': 'Milliseconds to wait for the upstream\'s response headers before answering 504; on a pool, for every attempt together (see retry.attemptTimeout). The body may then stream as long as it takes. Default 30000.',
  'routes[].access': 'Who may use this route. Refused requests are answered by the gateway and never forwarded. Default: anyone.',
  'routes[].access.allowIps': 'Client addresses or CIDR ranges allowed, IPv4 or IPv6 ("10.0.0.0/8", "2001:db8::/32"); other clients get 403. Default: any address.',
  'routes[].access.denyIps': 'Client addresses or CIDR ranges refused with 403; deny wins over allow. Default: none.',
  'routes[].access.methods': 'Methods allowed (others get 405 with Allow); allowing GET allows HEAD. Default: any method.',
  'routes[].access.auth': 'Credentials the client must send (401 with WWW-Authenticate otherwise), compared in constant time and removed before forwarding. Default: none.',
  'routes[].access.auth.type': '"bearer" (Authorization: Bearer <credential>) or "basic" (credential is "user:password").',
  'routes[].access.auth.credential': 'The expected credential, as a ${NAME} reference to a secret.',
  'routes[].access.maxBodyBytes': 'Largest request body accepted, in bytes; larger ones get 413, checked on Content-Length and counted while streaming when there is none. Default: no limit.',
  'routes[].rateLimit': 'Rate limiting with a Workers rate limit binding, counted per route and per client; over the limit the client gets 429 with Retry-After. Default: none.',
  'routes[].rateLimit.binding': 'Name of a [[ratelimits]] binding in wrangler.toml; one that does not exist is a config error.',
  'routes[].rateLimit.key': 'What a limit counts per: "ip" or "header:NAME" (the client IP when that header is absent). Default "ip".',
  'routes[].rateLimit.period': 'The binding\'s period in seconds (10 or 60), told to limited clients in Retry-After. Default 60.',
  'routes[].cache': 'Cache answers of this route at the edge (RFC 9111 shared-cache rules, safe by default): true for the defaults, or an object. Default false (nothing cached). Stores the finished, rewritten body; CORS and other per-request headers are added to every answer; Cache-Status says what happened.',
  'routes[].cache.ttl': 'Seconds a response is fresh when its origin gives no freshness (no Cache-Control max-age or s-maxage, no Expires), as nginx proxy_cache_valid. Default 0: such responses are only stored to be revalidated or served stale.',
  'routes[].cache.override': 'Use ttl even when the origin gives its own freshness (max-age, s-maxage, Expires, no-cache, must-revalidate). Never overrides no-store, private or Set-Cookie. Default false.',
  'routes[].cache.staleWhileRevalidate': 'Seconds past freshness a stale entry is served while one background request refreshes it. The origin\'s stale-while-revalidate directive counts too. Default 0.',
  'routes[].cache.staleIfError': 'Seconds past freshness a stale entry is served when the origin cannot be reached, times out or answers 5xx. The origin\'s stale-if-error directive counts too. Default 0.',
  'routes[].cache.query': 'Which query parameters are part of the key: "all" (sorted, so ?b=1&a=2 is ?a=2&b=1), "none", or a list of names to keep; the origin still gets the query as sent. Default "all".',
  'routes[].cache.vary': 'Request headers whose values split the key, besides those the origin\'s Vary names. Default none.',
  'routes[].cache.cookies': '"bypass": a request carrying a cookie (other than the gateway\'s own site cookie) is neither served from nor stored in the cache. "ignore": such requests use the cache, and cached requests reach the origin without their cookies, so what is stored is never one user\'s page. Default "bypass".',
  'routes[].cache.version': 'A string in every key of this route: change it to drop all of the route\'s entries at once. Default "".',
  'routes[].cache.maxEntryBytes': 'Largest response stored, in bytes; a larger one is served and not stored. Default 8388608 (8 MiB).',
};

/** Keyword order in the file: the readable ones first; anything else after, alphabetically. */
const KEYWORD_ORDER = ['$schema', 'title', 'description', 'type', 'required', 'properties', 'additionalProperties', 'propertyNames', 'items', 'oneOf', 'anyOf'];

export function buildJsonSchema(): JsonSchema {
  const generated = toJsonSchema(configSchema, {
    target: 'draft-07',
    errorMode: 'throw',
    // Cross-field checks have no JSON Schema form; compile.ts still enforces them.
    ignoreActions: ['check', 'raw_check'],
    overrideAction: caseInsensitivePattern,
  });
  const unused = new Set(Object.keys(DOCS));
  const documented = annotate(generated as Node, '', unused);
  if (unused.size) throw new Error(`scripts/schema.ts documents fields the schema does not have: ${[...unused].join(', ')}`);
  return canonical({ ...documented, title: 'switchyard routes' }) as JsonSchema;
}

/** Fields with no entry in DOCS: `npm run schema` lists them so new fields get documented. */
export function undocumentedFields(): string[] {
  const missing: string[] = [];
  const visit = (node: unknown, at: string): void => {
    if (!isNode(node)) return;
    if (isNode(node.properties)) {
      for (const [key, child] of Object.entries(node.properties)) {
        const path = at ? `${at}.${key}` : key;
        if (DOCS[path] === undefined && !missing.includes(path)) missing.push(path);
        visit(child, path);
      }
    }
    visit(node.items, `${at}[]`);
    if (Array.isArray(node.anyOf)) for (const branch of node.anyOf) visit(branch, at);
  };
  visit(buildJsonSchema(), '');
  return missing;
}

/** The file's exact text: stable key order, two-space indent, trailing newline. */
export function renderJsonSchema(): string {
  return JSON.stringify(buildJsonSchema(), null, 2) + '\n';
}

// JSON Schema patterns have no flags: spell /…/i out as [aA] classes.
function caseInsensitivePattern({ valibotAction, jsonSchema }: { valibotAction: { type: string; requirement?: unknown }; jsonSchema: JsonSchema }): JsonSchema | undefined {
  const regex = valibotAction.requirement;
  if (valibotAction.type !== 'regex' || !(regex instanceof RegExp) || !regex.flags) return undefined;
  if (regex.flags !== 'i') throw new Error(`cannot express regex flags "${regex.flags}" in JSON Schema: ${regex}`);
  return { ...jsonSchema, pattern: spellOutCase(regex.source) };
}

function spellOutCase(source: string): string {
  let out = '';
  for (let i = 0; i < source.length; i++) {
    const char = source[i]!;
    if (char === '\\') {
      out += char + (source[++i] ?? '');
    } else if (char === '[') {
      // Classes in our patterns already list both cases (A-Za-z) or none (negated sets of punctuation).
      const end = source.indexOf(']', i + 1);
      out += source.slice(i, end + 1);
      i = end;
    } else if (/[a-z]/i.test(char)) {
      out += `[${char.toLowerCase()}${char.toUpperCase()}]`;
    } else {
      out += char;
    }
  }
  return out;
}

type Node = Record<string, unknown>;

function annotate(node: Node, at: string, unused: Set<string>): Node {
  const out: Node = { ...node };
  const doc = DOCS[at];
  if (doc !== undefined) {
    out.description = doc;
    unused.delete(at);
  }
  if (isNode(node.properties)) {
    out.properties = Object.fromEntries(
      Object.entries(node.properties).map(([key, child]) => [key, annotate(child as Node, at ? `${at}.${key}` : key, unused)]),
    );
    // valibot's strictObject rejects unknown keys, and an empty `required` says nothing.
    if (Array.isArray(node.required) && !node.required.length) delete out.required;
  }
  if (isNode(node.items)) out.items = annotate(node.items, `${at}[]`, unused);
  if (Array.isArray(node.anyOf)) out.anyOf = node.anyOf.map((branch: Node) => annotateBranch(branch, at, unused));
  if (at === 'routes[]') {
    // compile.ts enforces this after validation; editors should know it too.
    out.oneOf = [{ required: ['origin'] }, { required: ['origins'] }];
  }
  return out;
}

/** A union's branches share the field's doc, so only nested fields are documented there. */
function annotateBranch(branch: Node, at: string, unused: Set<string>): Node {
  const { description, ...rest } = annotate(branch, at, unused);
  return description === DOCS[at] ? rest : { ...rest, description };
}

function canonical(value: unknown, isPropertyMap = false): unknown {
  if (Array.isArray(value)) return value.map((item) => canonical(item));
  if (!isNode(value)) return value;
  const keys = Object.keys(value);
  if (!isPropertyMap) keys.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(keys.map((key) => [key, canonical(value[key], !isPropertyMap && key === 'properties')]));
}

function rank(keyword: string): number {
  const index = KEYWORD_ORDER.indexOf(keyword);
  return index === -1 ? KEYWORD_ORDER.length : index;
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  writeFileSync(SCHEMA_FILE, renderJsonSchema());
  console.log(`wrote ${SCHEMA_FILE}`);
  const missing = undocumentedFields();
  if (missing.length) console.warn(`fields without a description (add them to DOCS in scripts/schema.ts): ${missing.join(', ')}`);
}
