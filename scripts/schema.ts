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
  $schema: 'The JSON Schema this file follows, for editors: "./routes.schema.json".',
  id: 'This deployment\'s name in Via and CDN-Loop (loop detection). Default "switchyard"; give chained gateways different ids.',
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
  routes: 'The routes. A request goes to the route with the longest matching path prefix; host-bound routes before unbound ones, then file order.',
  'routes[]': 'One route: a path prefix and the origin it is forwarded to.',
  'routes[].path': 'Path prefix starting with "/", matched at a segment boundary: "/api" matches /api, /api/ and /api/x, never /apix. "/" is the catch-all.',
  'routes[].origin': 'Absolute http(s) URL of the upstream. A path in it is a base path prepended to what is forwarded. Exactly one of origin or origins.',
  'routes[].origins': 'Several upstreams instead of origin, for failover. Exactly one of origin or origins.',
  'routes[].host': 'Only match requests for this Host ("*.example.com" matches any subdomain). Default: any host.',
  'routes[].stripPrefix': 'Remove the matched path before joining onto the origin\'s base path. Default true.',
  'routes[].preserveHost': 'Present the client\'s Host to the origin (cf.resolveOverride; same zone only on Cloudflare). Default false.',
  'routes[].cors': 'CORS handled by the gateway. false (default): upstream CORS headers pass through. true: any origin. An object: the policy.',
  'routes[].cors.origins': 'Allowed origins: exact ("https://app.example.com"), wildcard ("http://localhost:*", "https://*.example.com") or "*" for any.',
  'routes[].cors.credentials': 'Allow credentials: the request\'s origin is echoed, never "*". Default false.',
  'routes[].cors.methods': 'Methods allowed in preflights.',
  'routes[].cors.headers': 'Request headers allowed in preflights. Default: those the preflight asks for.',
  'routes[].cors.exposeHeaders': 'Response headers readable by the page. Default: every header of the upstream response.',
  'routes[].cors.maxAge': 'Seconds a browser may cache a preflight answer.',
  'routes[].headers': 'Headers to set on or remove from the upstream request and the client\'s response.',
  'routes[].headers.request': 'Changes to the request sent upstream.',
  'routes[].headers.response': 'Changes to the response sent to the client.',
  'routes[].headers.request.set': 'Headers to set. Values may hold ${NAME}, replaced by the Worker binding (var or secret) NAME; an unbound NAME is a config error.',
  'routes[].headers.request.remove': 'Header names to remove.',
  'routes[].headers.response.set': 'Headers to set. Values may hold ${NAME}, replaced by the Worker binding (var or secret) NAME; an unbound NAME is a config error.',
  'routes[].headers.response.remove': 'Header names to remove.',
  'routes[].rewriteLinks': 'In text/html responses, rewrite URLs pointing at any configured origin to their gateway paths. Default true.',
  'routes[].substitutions': 'Regex replacements on the response text, applied before link rewriting.',
  'routes[].substitutions[].match': 'JavaScript regular expression source.',
  'routes[].substitutions[].replace': 'Replacement; may use $1 etc.',
  'routes[].substitutions[].flags': 'Regex flags. Default "g".',
  'routes[].substitutions[].contentTypes': 'Media types to apply to (`type/*` and `type/*+suffix` allowed). Default: HTML, XHTML, SVG, CSS, JavaScript, JSON, XML, plain text, and any +json or +xml type.',
  'routes[].sticky': "Sticky site: root-relative requests made by this route's pages that no route (or only the catch-all) claims go to this route, chosen by Referer, else by a site cookie that is never forwarded upstream. Default true.",
  'routes[].timeout': 'Milliseconds to wait for the upstream\'s response headers before answering 504. Default 30000.',
  'routes[].access': 'Who may use this route.',
  'routes[].access.allowIps': 'Client addresses or CIDR ranges allowed (others get 403).',
  'routes[].access.denyIps': 'Client addresses or CIDR ranges refused with 403.',
  'routes[].access.methods': 'Methods allowed (others get 405).',
  'routes[].access.auth': 'Credentials the client must send.',
  'routes[].access.auth.type': '"bearer" (Authorization: Bearer <credential>) or "basic" (credential is "user:password").',
  'routes[].access.auth.credential': 'The expected credential, as a ${NAME} reference to a secret.',
  'routes[].access.maxBodyBytes': 'Largest request body accepted, in bytes (larger: 413).',
  'routes[].rateLimit': 'Rate limiting with a Workers rate limit binding.',
  'routes[].rateLimit.binding': 'Name of a [[ratelimits]] binding in wrangler.toml.',
  'routes[].rateLimit.key': 'What a limit counts per: "ip" (default) or "header:NAME".',
  'routes[].rateLimit.period': 'The binding\'s period in seconds (10 or 60), told to limited clients in Retry-After.',
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
