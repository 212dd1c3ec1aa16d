// Cache keys, as pure functions. A key names the request's host and path, the route that
// answers it, the normalized query, the route's `version` and the config that shaped the
// stored answer: a changed routes.json never serves a page rewritten for the old one.
import type { Route } from '../config/compile.ts';
import type { CachePolicy } from './policy.ts';

export interface KeyParts {
  /** scheme://host[:port] the client asked */
  origin: string;
  /** normalized request path */
  path: string;
  /** raw query including '?', or '' */
  query: string;
  route: Route;
  policy: CachePolicy;
  /** a sticky request, answered from the origin's root */
  fromOriginRoot?: boolean;
  headers: Headers;
}

/**
 * The key for a request. `variant` is '-' for the entry the URL names (or the marker of its
 * variants), or the generation and header values of one of its variants (see variantKey).
 */
export function cacheKey(parts: KeyParts, variant = '-'): string {
  const { policy, route } = parts;
  const query = normalizeQuery(parts.query, policy.query);
  const where = `${parts.fromOriginRoot ? 'r' : ''}${route.index}`;
  return `${parts.origin}/.switchyard-cache/${route.cacheFingerprint}/${encodeURIComponent(policy.version) || '-'}/${variant}/${where}${parts.path}${query}`;
}

/**
 * The key of the variant of an entry that the request headers in `names` pick: those the
 * origin's Vary names, the route's own `vary`, and what the stage adds (encoding, Origin).
 */
export function variantKey(parts: KeyParts, generation: string, names: readonly string[]): string {
  return cacheKey(parts, `${generation}.${encodeURIComponent(varyValues(names, parts.headers))}`);
}

/** `?b=2&a=1` → `?a=1&b=2` ('all'), '' ('none'), or only the listed names, in sorted order. */
export function normalizeQuery(query: string, mode: CachePolicy['query']): string {
  if (mode === 'none' || query.length <= 1) return '';
  let pairs = query.slice(1).split('&').filter(Boolean);
  if (mode !== 'all') pairs = pairs.filter((pair) => mode.has(paramName(pair)));
  return pairs.length ? `?${pairs.sort().join('&')}` : '';
}

function paramName(pair: string): string {
  const name = pair.split('=', 1)[0]!.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

/** `name=value` lines for the named request headers, sorted by name; Accept-Encoding as the codings that matter. */
export function varyValues(names: readonly string[], headers: Headers): string {
  return [...names]
    .sort()
    .map((name) => `${name}=${name === 'accept-encoding' ? acceptedCodings(headers.get(name)) : (headers.get(name) ?? '').trim().replace(/\s*,\s*/g, ',')}`)
    .join('\n');
}

/**
 * What an origin can pick from Accept-Encoding: which of the codings the gateway asks for
 * (gzip, br) the client takes. `gzip, deflate, br` and `br;q=1, gzip` are one variant.
 */
export function acceptedCodings(value: string | null): string {
  if (!value) return '';
  const taken = new Set<string>();
  for (const part of value.split(',')) {
    const [coding, ...params] = part.split(';').map((item) => item.trim().toLowerCase());
    const q = params.find((param) => param.startsWith('q='));
    if (q && Number(q.slice(2)) === 0) continue;
    if (coding === 'gzip' || coding === 'x-gzip') taken.add('gzip');
    else if (coding === 'br') taken.add('br');
  }
  return [...taken].sort().join(',');
}

/** The header names a response's Vary lists, lower-case and sorted. */
export function varyNames(value: string | null): string[] {
  if (!value) return [];
  return [...new Set(value.split(',').map((name) => name.trim().toLowerCase()).filter(Boolean))].sort();
}

/**
 * What in the config shapes a route's stored answers: its own rules (with secrets resolved,
 * so a rotated key starts afresh) and every route's place in the URL mapping that link
 * rewriting, Location and cookies follow. FNV-1a, twice with different seeds: 64 bits.
 */
export function cacheFingerprint(route: Route, routes: readonly Route[]): string {
  const mapping = routes.map((other) => [other.path, other.config.host ?? '', other.upstreams, other.stripPrefix, other.sticky]);
  const text = JSON.stringify([route.config, mapping]);
  return fnv1a(text, 0x811c9dc5) + fnv1a(text, 0x01000193);
}

function fnv1a(text: string, seed: number): string {
  let hash = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}
