// Turns raw routes config (object or JSON text) into the checked, compiled form the
// pipeline uses. Pure: no runtime globals, so `npm run check` runs it under Node too.
import * as v from 'valibot';
import { compileAccess, type AccessPolicy } from '../access.ts';
import { cacheFingerprint } from '../cache/key.ts';
import { compileCache, type CachePolicy } from '../cache/policy.ts';
import { compileCors, type CorsPolicy } from '../cors.ts';
import { compilePool } from '../pool/compile.ts';
import type { Pool } from '../pool/pool.ts';
import { rateLimitBindingProblem } from '../ratelimit.ts';
import { redactableSecrets } from '../redact.ts';
import { routePathForm } from '../url.ts';
import { compileObserve, type Observe } from '../observe/settings.ts';
import { describeIssues, describeJsonError } from './issues.ts';
import { checkedRoutes, type CheckedRoute } from './lenient.ts';
import { configSchema, type RouteConfig, type RoutesConfig } from './schema.ts';

export interface Upstream {
  /** scheme://host[:port], lower-case, default port omitted: compared with URL.origin */
  origin: string;
  /** base path without trailing slash ('' for none) */
  base: string;
}

export interface HeaderOps {
  set: [name: string, value: string][];
  remove: string[];
}

export interface Substitution {
  regex: RegExp;
  replace: string;
  contentTypes: string[];
}

export interface Route {
  /** position in routes.json, for messages: routes[index] */
  index: number;
  path: string;
  /** path without trailing slash; '' for the catch-all '/' */
  prefix: string;
  host?: { exact?: string; suffix?: string };
  /** every origin of the route, in file order (a pool's members too: links and cookies map them all) */
  upstreams: Upstream[];
  /** null for one origin with no balance, retry or health: forward then makes one plain fetch */
  pool: Pool | null;
  stripPrefix: boolean;
  preserveHost: boolean;
  timeout: number;
  rewriteLinks: boolean;
  sticky: boolean;
  requestHeaders: HeaderOps;
  responseHeaders: HeaderOps;
  substitutions: Substitution[];
  /** values injected from bindings: never allowed into a response */
  secrets: string[];
  /** null: cors false */
  cors: CorsPolicy | null;
  access: AccessPolicy | null;
  /** null: no caching */
  cache: CachePolicy | null;
  /** what in the config shapes this route's stored answers, in its cache keys ('' without cache) */
  cacheFingerprint: string;
  /** the validated entry with ${NAME} resolved, for stages with their own compiled views */
  config: RouteConfig;
}

export interface Gateway {
  id: string;
  /** file order: ties in reverse mapping go to the first */
  routes: Route[];
  /** match order: longest prefix first, then exact host, wildcard host, any host; then file order */
  matchOrder: Route[];
  /** request ids, the access log, Server-Timing and the status page */
  observe: Observe;
}

export type CompileResult =
  | { ok: true; gateway: Gateway; warnings: string[] }
  | { ok: false; problems: string[]; warnings: string[] };

export interface CompileOptions {
  /** `npm run check` cannot see secrets: report unbound ${NAME} as warnings there */
  unboundBindings?: 'error' | 'warning';
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_SUBSTITUTION_TYPES = [
  'text/html',
  // The XML documents link rewriting reads as pages: their internal URLs are the same.
  'application/xhtml+xml',
  'image/svg+xml',
  'text/css',
  'text/javascript',
  'application/javascript',
  'application/x-javascript',
  'application/json',
  'text/json',
  // Manifests, JSON-LD, JSON:API; RSS and Atom feeds: they carry the origin's URLs too.
  '*/*+json',
  'application/xml',
  'text/xml',
  '*/*+xml',
  'text/plain',
];

const BINDING_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;


export function compileConfig(raw: unknown, env: Record<string, unknown>, options: CompileOptions = {}): CompileResult {
  const warnings: string[] = [];
  let input = raw;
  if (typeof raw === 'string') {
    try {
      input = JSON.parse(raw);
    } catch (error) {
      return { ok: false, problems: [`(root): ${describeJsonError(error, raw)}`], warnings };
    }
  }
  const parsed = v.safeParse(configSchema, input, { abortPipeEarly: true });
  const problems: string[] = parsed.success ? [] : [...new Set(describeIssues(parsed.issues, configSchema))];
  const resolve = (value: string, at: string, secrets: string[]): string =>
    value.replace(BINDING_REF, (ref, name: string) => {
      const bound = env[name];
      if (typeof bound === 'string') {
        if (bound) secrets.push(bound);
        return bound;
      }
      const message = `${at}: ${ref} has no binding named ${name} (add a var or \`wrangler secret put ${name}\`)`;
      if (bound === undefined && options.unboundBindings === 'warning') warnings.push(message);
      else problems.push(bound === undefined ? message : `${at}: binding ${name} must be a string`);
      return ref;
    });

  // A config wrong in shape somewhere still has its well-formed routes compiled and the
  // bindings of the rest looked up, so one pass reports every problem, not one kind per run.
  const checked: CheckedRoute[] = parsed.success ? parsed.output.routes.map((entry, index) => ({ index, entry })) : checkedRoutes(input);
  const routes: Route[] = [];
  const rateLimits: { rateLimit: RouteConfig['rateLimit']; at: string }[] = [];
  for (const item of checked) {
    if ('entry' in item) {
      routes.push(compileRoute(item.entry, item.index, resolve, problems));
      rateLimits.push({ rateLimit: item.entry.rateLimit, at: `routes[${item.index}].rateLimit.binding` });
    } else {
      for (const { value, at } of item.references) resolve(value, at, []);
      if (item.rateLimit) rateLimits.push({ rateLimit: { binding: item.rateLimit.binding }, at: item.rateLimit.at });
    }
  }
  for (const { rateLimit, at } of rateLimits) {
    const missing = rateLimitBindingProblem(rateLimit, env, at);
    if (missing) (options.unboundBindings === 'warning' ? warnings : problems).push(missing);
  }
  // Its own ${NAME}s are looked up only when the whole config has its shape.
  const observe = parsed.success ? compileObserve(parsed.output, routes, resolve, problems, warnings) : null;
  const seen = new Map<string, number>();
  for (const route of routes) {
    const key = `${route.config.host ?? ''} ${route.prefix}`;
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push(`routes[${route.index}].path: duplicates routes[${first}] (same path and host), so it could never match`);
    } else seen.set(key, route.index);
  }
  if (problems.length || !parsed.success || !observe) return { ok: false, problems, warnings };
  const config: RoutesConfig = parsed.output;
  for (const route of routes) if (route.cache) route.cacheFingerprint = cacheFingerprint(route, routes);

  const matchOrder = [...routes].sort(
    (a, b) => b.prefix.length - a.prefix.length || hostRank(b) - hostRank(a) || a.index - b.index,
  );
  return { ok: true, gateway: { id: config.id ?? 'switchyard', routes, matchOrder, observe }, warnings };
}

/** An exact host is more specific than a wildcard, which is more specific than none. */
const hostRank = (route: Route) => (route.host?.exact ? 2 : route.host ? 1 : 0);

type Resolve = (value: string, at: string, secrets: string[]) => string;

function compileRoute(entry: RouteConfig, index: number, resolve: Resolve, problems: string[]): Route {
  const at = `routes[${index}]`;
  const secrets: string[] = [];
  if (!entry.origin === !entry.origins) problems.push(`${at}: needs exactly one of "origin" or "origins"`);
  const timeout = entry.timeout ?? DEFAULT_TIMEOUT_MS;
  const { upstreams, pool } = compilePool(entry, timeout, at, problems);

  const headerOps = (which: 'request' | 'response'): HeaderOps => {
    const ops = entry.headers?.[which];
    const set = Object.entries(ops?.set ?? {}).map(([name, value]): [string, string] => {
      const path = `${at}.headers.${which}.set.${name}`;
      // A value the route sets on responses is meant to be seen: only request-side values are secrets.
      const resolved = resolve(value, path, which === 'request' ? secrets : []);
      // The runtime refuses these in a header, on every request: say so once, without the value (it may be a secret).
      if (/[\0\r\n]/.test(resolved)) problems.push(`${path}: a header value cannot hold a line break or NUL (check the value or the secret it names)`);
      // fetch sends the URL's host whatever the headers say: the rule would do nothing, silently.
      if (which === 'request' && name.toLowerCase() === 'host') problems.push(`${path}: Workers cannot set Host (fetch sends the origin's host); use "preserveHost": true to send the client's Host`);
      return [name, resolved];
    });
    return { set, remove: (ops?.remove ?? []).map((name) => name.toLowerCase()) };
  };
  const requestHeaders = headerOps('request');
  const responseHeaders = headerOps('response');

  const substitutions = (entry.substitutions ?? []).flatMap((rule, i): Substitution[] => {
    const flags = rule.flags ?? 'g';
    try {
      return [{ regex: new RegExp(rule.match, flags), replace: rule.replace, contentTypes: rule.contentTypes ?? DEFAULT_SUBSTITUTION_TYPES }];
    } catch (error) {
      // V8's message quotes the pattern, and ROUTES may be a secret: keep only the reason.
      const reason = (error as Error).message.split(': ').pop();
      problems.push(`${at}.substitutions[${i}].match: not a valid regular expression (${reason})`);
      return [];
    }
  });

  let config = entry;
  if (entry.access?.auth) {
    const credential = resolve(entry.access.auth.credential, `${at}.access.auth.credential`, secrets);
    config = { ...entry, access: { ...entry.access, auth: { ...entry.access.auth, credential } } };
  }
  const access = compileAccess(config.access, `${at}.access`, problems);
  // The gateway's own credential is for the gateway: the origin never sees it (a set rule still applies).
  if (access?.auth && !requestHeaders.remove.includes('authorization')) requestHeaders.remove.push('authorization');
  // Secrets are masked as the body streams, which needs the whole body: a byte range of it
  // could start or end inside a secret, and its visible part would pass unmasked.
  if (redactableSecrets(secrets).length) requestHeaders.remove.push('range', 'if-range');

  const prefix = routePathForm(entry.path).replace(/\/+$/, '');
  let host: Route['host'];
  if (entry.host) {
    const name = entry.host.toLowerCase();
    host = name.startsWith('*.') ? { suffix: name.slice(1) } : { exact: name };
  }
  return {
    index,
    path: entry.path,
    prefix,
    host,
    upstreams,
    pool,
    stripPrefix: entry.stripPrefix ?? true,
    preserveHost: entry.preserveHost ?? false,
    timeout,
    rewriteLinks: entry.rewriteLinks ?? true,
    sticky: entry.sticky ?? true,
    requestHeaders,
    responseHeaders,
    substitutions,
    secrets,
    cors: compileCors(entry.cors),
    access,
    cache: compileCache(entry.cache),
    cacheFingerprint: '',
    config,
  };
}
