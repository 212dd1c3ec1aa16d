// Stored entries: the finished response with what the gateway needs to judge its age on the
// way back. The backing store (the Cache API) reads Cache-Control to decide how long to keep
// an entry, so the origin's own header travels in a header of ours and comes back on a hit.
import { HOP_BY_HOP } from '../headers.ts';
import type { Freshness } from './policy.ts';

const META = 'x-switchyard-cache';
const ORIGIN_CACHE_CONTROL = 'x-switchyard-cache-control';
/** The origin's Last-Modified, which rewriting removes from the page but revalidation needs. */
const ORIGIN_LAST_MODIFIED = 'x-switchyard-last-modified';
/** On a marker entry: the request headers the origin's Vary names, and the variants' generation. */
const VARY = 'x-switchyard-vary';

/** How long past staleness an entry with a validator is kept, to be revalidated with a 304 (nginx's `inactive` default). */
export const KEEP_FOR_REVALIDATION = 600;

export interface EntryMeta extends Freshness {
  /** when the response arrived, ms since the epoch */
  storedAt: number;
  /** the body is the gateway's rewriting of the origin's: its validators are weakened or gone */
  rewritten: boolean;
}

/**
 * Headers to store: the response's, without hop-by-hop ones, with the entry's lifetimes and the
 * store's own Cache-Control; `lifetime` is how long the store keeps it (seconds). Null when
 * there is nothing to keep it for.
 */
export function storedHeaders(response: Headers, meta: EntryMeta, originLastModified: string | null): { headers: Headers; lifetime: number } | null {
  const headers = new Headers(response);
  for (const name of HOP_BY_HOP) headers.delete(name);
  // Counted in initialAge; a hit says its own.
  headers.delete('age');
  // The origin's timings belong to the request that went there, not to the hits.
  headers.delete('server-timing');
  const validator = headers.has('etag') || headers.has('last-modified') || originLastModified !== null;
  const keep = Math.max(meta.staleWhileRevalidate, meta.staleIfError, validator ? KEEP_FOR_REVALIDATION : 0);
  const lifetime = meta.fresh - meta.initialAge + keep;
  if (lifetime <= 0) return null;
  const cacheControl = headers.get('cache-control');
  if (cacheControl !== null) headers.set(ORIGIN_CACHE_CONTROL, cacheControl);
  headers.set('cache-control', `max-age=${lifetime}`);
  headers.set(META, [meta.storedAt, meta.initialAge, meta.fresh, meta.staleWhileRevalidate, meta.staleIfError, meta.shared ? 1 : 0, meta.rewritten ? 1 : 0].join(' '));
  if (originLastModified !== null && !headers.has('last-modified')) headers.set(ORIGIN_LAST_MODIFIED, originLastModified);
  return { headers, lifetime };
}

/** An entry's lifetimes, or null for what is not one of ours (a marker, or foreign data). */
export function readMeta(headers: Headers): EntryMeta | null {
  const fields = headers.get(META)?.split(' ').map(Number);
  if (!fields || fields.length !== 7 || fields.some((field) => !Number.isFinite(field))) return null;
  const [storedAt, initialAge, fresh, staleWhileRevalidate, staleIfError, shared, rewritten] = fields as number[];
  return { storedAt: storedAt!, initialAge: initialAge!, fresh: fresh!, staleWhileRevalidate: staleWhileRevalidate!, staleIfError: staleIfError!, shared: shared === 1, rewritten: rewritten === 1 };
}

/** RFC 9111 §4.2.3: the age on arrival plus the time spent here, in whole seconds. */
export function currentAge(meta: EntryMeta, now: number): number {
  return meta.initialAge + Math.max(0, Math.floor((now - meta.storedAt) / 1000));
}

/** The headers a stored entry is served with: the origin's Cache-Control back, ours gone, its Age. */
export function servedHeaders(stored: Headers, meta: EntryMeta, age: number): Headers {
  const headers = new Headers(stored);
  const cacheControl = headers.get(ORIGIN_CACHE_CONTROL);
  headers.delete(META);
  // The store marks its hits; the Cache API on Cloudflare does too.
  headers.delete('cf-cache-status');
  if (meta.rewritten) headers.delete(ORIGIN_LAST_MODIFIED);
  if (cacheControl === null) headers.delete('cache-control');
  else {
    headers.delete(ORIGIN_CACHE_CONTROL);
    headers.set('cache-control', cacheControl);
  }
  headers.set('age', String(age));
  return headers;
}

/** Freshened headers (freshenedHeaders) served without being stored again: the entry's own bookkeeping gone. */
export function withoutBookkeeping(freshened: Headers): Headers {
  freshened.delete(ORIGIN_LAST_MODIFIED);
  return freshened;
}

/** The validators to revalidate a stale entry with (RFC 9111 §4.3.1). */
export function validators(stored: Headers): { etag: string | null; lastModified: string | null } {
  return { etag: stored.get('etag'), lastModified: stored.get('last-modified') ?? stored.get(ORIGIN_LAST_MODIFIED) };
}

/**
 * RFC 9111 §4.3.4: a 304 from the origin updates the stored headers with those it carries
 * (its Cache-Control, Expires, Date, ETag...), keeping the body's own (length, type, encoding).
 */
export function freshenedHeaders(stored: Headers, notModified: Headers, rewritten: boolean): Headers {
  const headers = new Headers(stored);
  const cacheControl = headers.get(ORIGIN_CACHE_CONTROL);
  headers.delete(ORIGIN_CACHE_CONTROL);
  if (cacheControl !== null) headers.set('cache-control', cacheControl);
  else headers.delete('cache-control');
  for (const name of [META, 'cf-cache-status', 'age']) headers.delete(name);
  // A rewritten body carries a weakened ETag and no Last-Modified: the 304's strong ones would
  // claim the origin's bytes.
  for (const [name, value] of notModified) {
    if (HOP_BY_HOP.has(name) || KEPT_ON_304.has(name) || name === 'set-cookie') continue;
    if (rewritten && name === 'etag') headers.set(name, value.startsWith('W/') ? value : `W/${value}`);
    else if (rewritten && name === 'last-modified') headers.set(ORIGIN_LAST_MODIFIED, value);
    else headers.set(name, value);
  }
  return headers;
}

/** Fields of the stored body a 304 cannot change. */
const KEPT_ON_304: ReadonlySet<string> = new Set(['content-length', 'content-encoding', 'content-type', 'content-range', 'transfer-encoding']);

/** A marker entry: the URL's responses vary on these request headers; its variants carry `generation`. */
export function markerHeaders(names: readonly string[], generation: string, lifetime: number): Headers {
  return new Headers({ [VARY]: `${generation} ${names.join(',')}`, 'cache-control': `max-age=${lifetime}` });
}

export function readMarker(headers: Headers): { generation: string; names: string[] } | null {
  const value = headers.get(VARY);
  if (!value) return null;
  const [generation, names = ''] = value.split(' ');
  return { generation: generation!, names: names.split(',').filter(Boolean) };
}
