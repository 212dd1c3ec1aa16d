// Cache stage, on routes with `cache`: answers GET and HEAD from the Cache API when RFC 9111
// lets a shared cache, and otherwise forwards (forward + rewrite) and stores what it may.
// What is stored is the finished body; the per-request parts (the site cookie and Cache-Status
// here, CORS and header rules in respond) are added to every answer, hit or miss.
import { byteRange, notModified, notModifiedHeaders, sliceBody } from '../cache/conditional.ts';
import { currentAge, freshenedHeaders, markerHeaders, readMarker, readMeta, servedHeaders, storedHeaders, validators, withoutBookkeeping, type EntryMeta } from '../cache/entry.ts';
import { cacheKey, varyNames, variantKey, type KeyParts } from '../cache/key.ts';
import { requestFacts, storability, type CachePolicy, type RequestFacts } from '../cache/policy.ts';
import { addVary } from '../cors.ts';
import type { GatewayError } from '../errors.ts';
import { redactStream, secretNeedles } from '../redact.ts';
import { mimeOf } from '../rewrite/body.ts';
import { siteCookieFor } from '../sticky.ts';
import type { Exchange } from './exchange.ts';
import { forward } from './forward.ts';
import { rewriteResponse } from './rewrite.ts';
import { isOwned, own } from './owned.ts';
import { startTrace } from './trace.ts';

type Answer = Response | GatewayError;

/** Found under a key: an entry and its lifetimes, or what kind of miss it was. */
interface Lookup {
  /** the key the URL names (an entry, or the marker of its variants) */
  base: string;
  /** where the entry is, or would be stored */
  key: string;
  entry?: Response;
  meta?: EntryMeta;
  marker?: { generation: string; names: string[] };
  miss: 'uri-miss' | 'vary-miss';
}

interface Fetched {
  answer: Answer;
  /** the origin's status, before rewriting */
  status?: number;
  /** the origin's Last-Modified, which rewriting removes */
  lastModified?: string | null;
  /** rewriting changed the body (its validators are no longer the origin's) */
  rewritten?: boolean;
}

const UNSAFE: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** A client's own conditional and range headers: the cache asks for the whole response and answers them itself (as nginx does). */
const CLIENT_CONDITIONALS = ['if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'if-range', 'range'];
const MARKER_LIFETIME = 86_400;
const NO_VARIANTS: Pick<Lookup, 'marker'> = {};

/** Misses being fetched in this isolate, by the URL's key: later ones wait for the first (nginx's proxy_cache_lock). */
const inflight = new Map<string, Promise<boolean>>();
/** Stale entries being refreshed in the background: one request each. */
const refreshing = new Set<string>();

export async function cached(exchange: Exchange, policy: CachePolicy): Promise<Answer> {
  const { request } = exchange;
  const method = request.method;
  if (method !== 'GET' && method !== 'HEAD') {
    const answer = await proxy(exchange);
    // RFC 9111 §4.4: a successful unsafe request makes the stored answer for its URL stale.
    if (UNSAFE.has(method) && answer instanceof Response && answer.status < 400) exchange.ctx.waitUntil(purge(keyParts(exchange, policy)));
    return finish(exchange, answer, 'fwd=method');
  }
  // WebSockets pass through: a 101 carries its socket and cannot be rebuilt or stored.
  if (request.headers.has('upgrade')) return proxy(exchange);
  const facts = requestFacts(request.headers, exchange.route, policy);
  if (facts.cookie) return finish(exchange, await proxy(exchange), 'fwd=bypass; detail=cookie');

  const parts = keyParts(exchange, policy);
  const found = await lookup(parts);
  const { entry, meta } = found;
  if (entry && meta && (meta.shared || !facts.authorization)) {
    const ttl = meta.fresh - currentAge(meta, Date.now());
    if (ttl > 0) return serveEntry(exchange, entry, meta, `hit; ttl=${ttl}`);
    if (-ttl < meta.staleWhileRevalidate) {
      refreshInBackground(exchange, policy, parts, found, facts);
      return serveEntry(exchange, entry, meta, `hit; ttl=${ttl}; detail=stale-while-revalidate`);
    }
    return revalidate(exchange, policy, parts, found as Required<Lookup>, facts);
  }
  void entry?.body?.cancel();
  // An answer that is stored only if the origin marks it shared, or a range past what an entry
  // may hold: asked as the client asked (a 206 or 304 is never stored), not as a whole body.
  if (facts.authorization) return fetchAndStore(exchange, policy, parts, found, facts, 'fwd=bypass', await fetchFresh(exchange, policy, undefined, false));
  if (rangeStart(request.headers) >= policy.maxEntryBytes) return fetchAndStore(exchange, policy, parts, found, facts, `fwd=${found.miss}`, await fetchFresh(exchange, policy, undefined, false));

  const waiting = inflight.get(found.base);
  if (waiting && (await settledWithin(waiting, exchange.route.timeout))) {
    const again = await lookup(parts);
    if (again.entry && again.meta && again.meta.fresh > currentAge(again.meta, Date.now())) {
      return serveEntry(exchange, again.entry, again.meta, `fwd=${found.miss}; collapsed`);
    }
    void again.entry?.body?.cancel();
  }
  const done = lead(found.base);
  try {
    return fetchAndStore(exchange, policy, parts, found, facts, `fwd=${found.miss}`, await fetchFresh(exchange, policy), done);
  } catch (error) {
    done(false);
    throw error;
  }
}

/** Forward and rewrite, as on a route without cache (the site cookie is added per answer here). */
async function proxy(exchange: Exchange): Promise<Answer> {
  const upstream = await forward(exchange);
  return upstream instanceof Response ? rewriteResponse(exchange, upstream, false) : upstream;
}

function keyParts(exchange: Exchange, policy: CachePolicy): KeyParts {
  const { target, path, route, fromOriginRoot, request } = exchange;
  return { origin: target.origin.toLowerCase(), path, query: target.query, route, policy, fromOriginRoot, headers: request.headers };
}

async function match(key: string): Promise<Response | undefined> {
  try {
    return await caches.default.match(key);
  } catch {
    // No cache here (or it failed): every request is a miss, never an error.
    return undefined;
  }
}

async function lookup(parts: KeyParts): Promise<Lookup> {
  const base = cacheKey(parts);
  let entry = await match(base);
  const marker = entry && readMarker(entry.headers);
  if (!marker) return withMeta({ base, key: base, entry, miss: 'uri-miss' });
  void entry!.body?.cancel();
  const key = variantKey(parts, marker.generation, marker.names);
  entry = await match(key);
  return withMeta({ base, key, entry, marker, miss: 'vary-miss' });
}

function withMeta(found: Lookup): Lookup {
  const meta = found.entry && readMeta(found.entry.headers);
  if (meta) return { ...found, meta };
  void found.entry?.body?.cancel();
  return { ...found, entry: undefined };
}

/** Registers this request as the one fetching a missing URL; the returned function says whether it was stored. */
function lead(base: string): (stored: boolean) => void {
  if (inflight.has(base)) return () => {};
  let settle!: (stored: boolean) => void;
  const pending = new Promise<boolean>((resolve) => (settle = resolve));
  inflight.set(base, pending);
  return (stored) => {
    if (inflight.get(base) === pending) inflight.delete(base);
    settle(stored);
  };
}

/** Whether the first request stored its answer, waiting no longer than the route's timeout. */
async function settledWithin(pending: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([pending, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The whole response from the origin, rewritten: without the client's conditional and range
 * headers (the cache answers those), as GET for a HEAD (to store the body), with the stale
 * entry's validators when revalidating, and without cookies on a `cookies: "ignore"` route.
 */
async function fetchFresh(exchange: Exchange, policy: CachePolicy, stale?: { etag: string | null; lastModified: string | null }, whole = true): Promise<Fetched> {
  const { request } = exchange;
  const ignoreCookies = policy.cookies === 'ignore' && request.headers.has('cookie');
  let sub = exchange;
  if (stale || ignoreCookies || (whole && (request.method !== 'GET' || CLIENT_CONDITIONALS.some((name) => request.headers.has(name))))) {
    const headers = new Headers(request.headers);
    if (whole) for (const name of CLIENT_CONDITIONALS) headers.delete(name);
    if (ignoreCookies) headers.delete('cookie');
    if (stale?.etag) headers.set('if-none-match', stale.etag);
    if (stale?.lastModified) headers.set('if-modified-since', stale.lastModified);
    sub = { ...exchange, request: new Request(request.url, { method: whole ? 'GET' : request.method, headers }) };
  }
  const upstream = await forward(sub);
  exchange.upstream = sub.upstream;
  exchange.upstreamUrl = sub.upstreamUrl;
  if (!(upstream instanceof Response)) return { answer: upstream };
  if (upstream.status === 304) return { answer: upstream, status: 304 };
  const etag = upstream.headers.get('etag');
  const lastModified = upstream.headers.get('last-modified');
  const answer = rewriteResponse(sub, upstream, false);
  const rewritten = answer instanceof Response && (answer.headers.get('etag') !== etag || answer.headers.get('last-modified') !== lastModified);
  return { answer, status: upstream.status, lastModified, rewritten };
}

/** Stores the fetched answer when it may be, and answers the client with it. */
function fetchAndStore(
  exchange: Exchange,
  policy: CachePolicy,
  parts: KeyParts,
  found: Lookup,
  facts: RequestFacts,
  forwarded: string,
  fetched: Fetched,
  done: (stored: boolean) => void = () => {},
): Answer {
  const { answer } = fetched;
  if (!(answer instanceof Response)) {
    done(false);
    return finish(exchange, answer, forwarded);
  }
  const now = Date.now();
  const verdict = storability(answer, policy, { authorization: facts.authorization, now });
  let detail = verdict.store ? '' : verdict.detail;
  // Masked before anything is kept or cut from it: a range of the stored body could split a secret.
  const needles = secretNeedles(exchange.route);
  let body = answer.body && needles.length ? redactStream(answer.body, needles) : answer.body;
  if (verdict.store) {
    const length = Number(answer.headers.get('content-length') ?? NaN);
    const meta: EntryMeta = { ...verdict, storedAt: now, rewritten: fetched.rewritten ?? false };
    const entry = length > policy.maxEntryBytes ? null : storedHeaders(answer.headers, meta, fetched.rewritten ? (fetched.lastModified ?? null) : null);
    if (!entry) detail = length > policy.maxEntryBytes ? 'too-big' : 'no-freshness';
    else {
      let copy: ReadableStream<Uint8Array> | null = null;
      if (body) [body, copy] = body.tee();
      // A branch of a tee has no length of its own: the client keeps the one the origin sent,
      // unless that counts compressed bytes (the branch carries them decoded).
      if (body && !Number.isNaN(length) && !answer.headers.has('content-encoding')) body = body.pipeThrough(new FixedLengthStream(length));
      // An unknown length is counted: past the limit the copy errors, and the store keeps nothing.
      if (copy && Number.isNaN(length)) copy = capped(copy, policy.maxEntryBytes);
      const names = variantNames(exchange, policy, answer.headers, found);
      const stored = new Response(copy, { status: answer.status, statusText: answer.statusText, headers: entry.headers });
      exchange.ctx.waitUntil(store(parts, found, names, stored, entry.lifetime).then(done));
    }
  }
  if (detail) done(false);
  const params = [forwarded];
  if (forwarded === 'fwd=stale') params.push(`fwd-status=${fetched.status}`);
  params.push(detail ? `detail=${detail}` : 'stored');
  return deliver(exchange, body === answer.body && isOwned(answer) ? answer : new Response(body, answer), params.join('; '));
}

/**
 * The request headers the stored answer depends on: those the origin's Vary names, the route's
 * own `vary`, and what the URL's other variants already vary on. A compressed body can only go
 * to clients that take its coding, and on a route without `cors` an answer that names one
 * page origin in Access-Control-Allow-Origin only to that origin, whatever the origin's Vary
 * says (the CORS answers peer caches leak: rs/cors#10, expressjs/cors#106).
 */
function variantNames(exchange: Exchange, policy: CachePolicy, headers: Headers, found: Pick<Lookup, 'marker'>): string[] {
  const names = new Set([...varyNames(headers.get('vary')), ...policy.vary, ...(found.marker?.names ?? [])]);
  if (headers.has('content-encoding')) names.add('accept-encoding');
  const allowed = exchange.route.cors ? null : headers.get('access-control-allow-origin');
  if (allowed !== null && allowed.trim() !== '*') names.add('origin');
  return [...names].sort();
}

/** Puts an entry where the URL's key (or, when the response varies, its variant's) says. */
async function store(parts: KeyParts, found: Lookup, names: string[], response: Response, lifetime: number): Promise<boolean> {
  try {
    if (!names.length) {
      await caches.default.put(found.base, response);
      return true;
    }
    const same = found.marker && found.marker.names.join() === names.join();
    const generation = same ? found.marker!.generation : newGeneration();
    if (!same) await caches.default.put(found.base, new Response(null, { headers: markerHeaders(names, generation, Math.max(lifetime, MARKER_LIFETIME)) }));
    await caches.default.put(variantKey(parts, generation, names), response);
    return true;
  } catch {
    // Too big for the store, or no store: the client already has its answer.
    void response.body?.cancel().catch(() => {});
    return false;
  }
}

const newGeneration = () => Array.from(crypto.getRandomValues(new Uint8Array(4)), (byte) => byte.toString(16).padStart(2, '0')).join('');

async function purge(parts: KeyParts): Promise<void> {
  try {
    // The URL's entry, or the marker of its variants: without the marker they are never found,
    // and the next one stored starts a new generation.
    await caches.default.delete(cacheKey(parts));
  } catch {
    // Nothing to purge without a store.
  }
}

/** A stale entry: ask the origin (with its validators), and fall back on it if the origin fails and the entry allows. */
async function revalidate(exchange: Exchange, policy: CachePolicy, parts: KeyParts, found: Required<Lookup>, facts: RequestFacts): Promise<Answer> {
  const { entry, meta } = found;
  const stale = validators(entry.headers);
  const done = lead(found.base);
  let fetched: Fetched;
  try {
    fetched = await fetchFresh(exchange, policy, stale.etag || stale.lastModified ? stale : undefined);
  } catch (error) {
    done(false);
    void entry.body?.cancel();
    throw error;
  }
  const { answer } = fetched;
  const staleFor = currentAge(meta, Date.now()) - meta.fresh;
  const failed = answer instanceof Response ? answer.status >= 500 : answer.status === 502 || answer.status === 504;
  if (failed && staleFor < meta.staleIfError) {
    done(false);
    if (answer instanceof Response) void answer.body?.cancel();
    return serveEntry(exchange, entry, meta, `fwd=stale; fwd-status=${fetched.status ?? answer.status}; ttl=${-staleFor}; detail=stale-if-error`);
  }
  if (fetched.status === 304 && answer instanceof Response) {
    const { response, detail } = freshen(exchange, policy, found, answer.headers, facts);
    done(!detail);
    return deliver(exchange, response, `fwd=stale; fwd-status=304; ${detail ? `detail=${detail}` : 'stored'}`);
  }
  void entry.body?.cancel();
  return fetchAndStore(exchange, policy, parts, found, facts, 'fwd=stale', fetched, done);
}

/** The stale entry with a 304's headers, stored again and served. Null when it may no longer be stored. */
function freshen(exchange: Exchange, policy: CachePolicy, found: Required<Lookup>, notModifiedHeaders: Headers, facts: RequestFacts): { response: Response; detail: string } {
  const { entry, meta } = found;
  const now = Date.now();
  const headers = freshenedHeaders(entry.headers, notModifiedHeaders, meta.rewritten);
  const verdict = storability({ status: entry.status, headers }, policy, { authorization: facts.authorization, now });
  const stored = verdict.store && storedHeaders(headers, { ...verdict, storedAt: now, rewritten: meta.rewritten }, null)?.headers;
  if (!stored) {
    // The origin confirmed the body but no longer lets it be kept: this request gets it (RFC
    // 9111 §4.3.4), and the entry goes.
    exchange.ctx.waitUntil(caches.default.delete(found.key).catch(() => false));
    const response = new Response(entry.body, { status: entry.status, statusText: entry.statusText, headers: withoutBookkeeping(headers) });
    return { response, detail: verdict.store ? 'no-freshness' : verdict.detail };
  }
  let body = entry.body;
  let copy: ReadableStream<Uint8Array> | null = null;
  if (body) [body, copy] = body.tee();
  const kept = new Response(copy, { status: entry.status, statusText: entry.statusText, headers: stored });
  exchange.ctx.waitUntil(caches.default.put(found.key, kept).catch(() => void copy?.cancel().catch(() => {})));
  const response = new Response(body, { status: entry.status, statusText: entry.statusText, headers: servedHeaders(stored, { ...verdict, storedAt: now, rewritten: meta.rewritten }, verdict.initialAge) });
  return { response, detail: '' };
}

/** stale-while-revalidate: the client has the stale entry; one request per entry refreshes it after. */
function refreshInBackground(exchange: Exchange, policy: CachePolicy, parts: KeyParts, found: Lookup, facts: RequestFacts): void {
  if (refreshing.has(found.key)) return;
  refreshing.add(found.key);
  // Its own trace (the client's answer is logged already), under the id of the request that
  // set it off, which the origin sees too.
  const background: Exchange = { ...exchange, trace: { ...startTrace(), id: exchange.trace.id, host: exchange.trace.host, ip: exchange.trace.ip, route: exchange.route } };
  const refresh = async () => {
    const again = await lookup(parts);
    if (!again.entry || !again.meta) return;
    const stale = validators(again.entry.headers);
    const fetched = await fetchFresh(background, policy, stale.etag || stale.lastModified ? stale : undefined);
    if (fetched.status === 304 && fetched.answer instanceof Response) {
      void freshen(background, policy, again as Required<Lookup>, fetched.answer.headers, facts).response.body?.cancel();
      return;
    }
    void again.entry.body?.cancel();
    const answer = fetchAndStore(background, policy, parts, again, facts, 'fwd=stale', fetched);
    if (answer instanceof Response) void answer.body?.cancel();
  };
  exchange.ctx.waitUntil(refresh().catch(() => {}).finally(() => refreshing.delete(found.key)));
}

function serveEntry(exchange: Exchange, entry: Response, meta: EntryMeta, params: string): Response {
  const headers = servedHeaders(entry.headers, meta, currentAge(meta, Date.now()));
  return deliver(exchange, new Response(entry.body, { status: entry.status, statusText: entry.statusText, headers }), params);
}

/**
 * The answer for this client: the site cookie and Cache-Status, then its own conditional
 * (304), range (206/416) or HEAD answered from the whole response. `response` has headers of
 * its own to change.
 */
function deliver(exchange: Exchange, response: Response, params: string): Response {
  const { request, route } = exchange;
  const headers = response.headers;
  const cookie = siteCookieFor(request, route, response.status, mimeOf(headers.get('content-type')));
  if (cookie) headers.append('set-cookie', cookie);
  tag(exchange, headers, params);
  // Caches further on must split the answer the way this one does.
  for (const name of variantNames(exchange, route.cache!, headers, NO_VARIANTS)) addVary(headers, name);
  if (response.status === 200) {
    if (notModified(request.headers, headers)) {
      void response.body?.cancel();
      const short = notModifiedHeaders(headers);
      short.set('cache-status', headers.get('cache-status')!);
      return own(new Response(null, { status: 304, headers: short }));
    }
    const length = Number(headers.get('content-length') ?? NaN);
    // Offsets count the bytes as sent: a compressed body is sent whole (RFC 9110 allows it).
    const range = request.headers.has('range') && !Number.isNaN(length) && !headers.has('content-encoding') ? byteRange(request.headers, headers, length) : null;
    if (range === 'unsatisfiable') {
      void response.body?.cancel();
      headers.set('content-range', `bytes */${length}`);
      headers.delete('content-length');
      return own(new Response(null, { status: 416, headers }));
    }
    if (range) {
      headers.set('content-range', `bytes ${range.start}-${range.end}/${length}`);
      headers.set('content-length', String(range.end - range.start + 1));
      const body = request.method === 'HEAD' || !response.body ? null : sliceBody(response.body, range.start, range.end);
      if (!body) void response.body?.cancel();
      return own(new Response(body, { status: 206, headers }));
    }
  }
  if (request.method === 'HEAD') {
    void response.body?.cancel();
    return own(new Response(null, { status: response.status, statusText: response.statusText, headers }));
  }
  return own(response);
}

/** Cache-Status on an answer the stage did not build itself (errors, unsafe methods, bypasses). */
function finish(exchange: Exchange, answer: Answer, params: string): Answer {
  if (!(answer instanceof Response)) {
    exchange.trace.cache = params;
    return { ...answer, headers: { ...answer.headers, 'cache-status': `${exchange.gateway.id}; ${params}` } };
  }
  if (answer.status === 101 || answer.webSocket) return answer;
  const response = isOwned(answer) ? answer : new Response(answer.body, answer);
  const cookie = siteCookieFor(exchange.request, exchange.route, response.status, mimeOf(response.headers.get('content-type')));
  if (cookie) response.headers.append('set-cookie', cookie);
  tag(exchange, response.headers, params);
  return own(response);
}

/** Ours last: a Cache-Status from caches nearer the origin stays before it (RFC 9211 §2). */
function tag(exchange: Exchange, headers: Headers, params: string): void {
  exchange.trace.cache = params;
  const ours = `${exchange.gateway.id}; ${params}`;
  const prior = headers.get('cache-status');
  headers.set('cache-status', prior ? `${prior}, ${ours}` : ours);
}

/** Where a `Range: bytes=N-` starts; 0 without one, or for a suffix range. */
function rangeStart(headers: Headers): number {
  const range = headers.get('range');
  const start = range === null ? null : /^\s*bytes=(\d+)-/i.exec(range);
  return start ? Number(start[1]) : 0;
}

/** The first `limit` bytes pass; one more errors the stream (a store then keeps nothing). */
function capped(body: ReadableStream<Uint8Array>, limit: number): ReadableStream<Uint8Array> {
  let total = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        total += chunk.length;
        if (total > limit) controller.error(new Error('larger than the cache takes'));
        else controller.enqueue(chunk);
      },
    }),
  );
}
