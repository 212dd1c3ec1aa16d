// mapUrl's engine: the URL parser's answer without the parser for the values pages are made
// of. A parse is a call into the runtime, dear enough in workerd to be most of the rewriting
// time of a page made of links. Values the parser would keep byte for byte (lower-case host, no
// default port, no dot segments, nothing it percent-encodes) are mapped by string
// operations; anything else goes to mapUrlParsed, so the result is always exactly its.
import type { Route } from '../config/compile.ts';
import { gatewayPathFor, prefixMatches, servesOutside } from '../url.ts';
import { mapUrlParsed, SCHEME, type LinkTable } from './links.ts';

export interface KnownOrigin {
  /** `http://host:port` */
  origin: string;
  /** `//host:port` */
  authority: string;
  scheme: string;
  /** the routes with an upstream at this origin, in file order: all gatewayPathFor needs */
  routes: Route[];
  /**
   * When every upstream here has the same base path and the first, in file order, strips
   * its prefix: no route can beat it (gatewayPathFor takes the longest base, the first on a
   * tie), so its answer is this prefix and the path after the base.
   */
  only?: { prefix: string; base: string };
  /** a sticky route has an upstream here: a path under no base path keeps its path (gatewayPathFor) */
  outside: boolean;
}

const known = new WeakMap<LinkTable, KnownOrigin[]>();

/** The configured origins of a table, built once per table. */
export function knownOrigins(table: LinkTable): KnownOrigin[] {
  let origins = known.get(table);
  if (!origins) {
    origins = Array.from(table.origins, (origin) => {
      const routes = table.routes.filter((route) => route.upstreams.some((upstream) => upstream.origin === origin));
      const here = routes.flatMap((route) => route.upstreams.filter((upstream) => upstream.origin === origin).map((upstream) => ({ route, base: upstream.base })));
      const first = here[0]!;
      const only = first.route.stripPrefix && here.every(({ base }) => base === first.base) ? { prefix: first.route.prefix, base: first.base } : undefined;
      const outside = routes.some(servesOutside);
      return { origin, authority: origin.slice(origin.indexOf('//')), scheme: origin.slice(0, origin.indexOf('//')), routes, only, outside };
    });
    known.set(table, origins);
  }
  return origins;
}

/** String.prototype.startsWith is several times slower than this in V8. */
const startsWith = (value: string, prefix: string) => value.lastIndexOf(prefix, 0) === 0;

/** True if `value` continues at `at` with the end of an origin: `/`, `?`, `#` or nothing. */
function originEndsAt(value: string, at: number): boolean {
  const c = value.charCodeAt(at);
  return c === 47 || c === 63 || c === 35 || at === value.length;
}

// Characters the URL parser copies unchanged into path, query and fragment of an http(s)
// URL ("'" is escaped in special queries; "\" is a path separator; controls are dropped).
const PLAIN_REST = /^(?:[A-Za-z0-9\-._~!$&()*+,;=:@/?#]|%[0-9A-Fa-f]{2})*$/;
// A segment starting with "." (or its escape) may be a dot segment the parser removes.
const DOT_SEGMENT = /\/(?:\.|%2[Ee])/;
const PLAIN_AUTHORITY = /^[a-z0-9.-]+(?::[1-9][0-9]{0,4})?$/;
// A host ending in a number is an IPv4 address to the parser, which rewrites every form
// but the canonical dotted quad.
const NUMERIC_LAST_LABEL = /(?:^|\.)(?:[0-9]+|0x[0-9a-f]*)\.?(?::|$)/;
const CANONICAL_IPV4 = /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?::|$)/;

const mappers = new WeakMap<LinkTable, (value: string, base: URL) => string | null>();

/** The mapper for one table: what mapUrl and the rewriters call per value. */
export function urlMapper(table: LinkTable): (value: string, base: URL) => string | null {
  let mapper = mappers.get(table);
  if (!mapper) {
    const origins = knownOrigins(table);
    mapper = (value, base) => mapWith(origins, value, base, table);
    mappers.set(table, mapper);
  }
  return mapper;
}

function mapWith(origins: KnownOrigin[], value: string, base: URL, table: LinkTable): string | null {
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(value.length - 1);
  // Edge spaces and controls are trimmed by the parser path: rare, so let it.
  if (!(first > 32) || !(last > 32)) return value === '' ? null : mapUrlParsed(value, base, table);

  // The common case first: a link to a configured origin, spelled as the origin is.
  if (first === 104 /* h */) {
    for (const known of origins) {
      if (startsWith(value, known.origin) && originEndsAt(value, known.origin.length)) return mapRest(known, value.slice(known.origin.length), base, table, value);
    }
  } else if (first === 47 && value.charCodeAt(1) === 47) {
    for (const known of origins) {
      if (known.scheme === base.protocol && startsWith(value, known.authority) && originEndsAt(value, known.authority.length)) {
        return mapRest(known, value.slice(known.authority.length), base, table, value);
      }
    }
  }

  if (first === 47 /* / */) {
    const second = value.charCodeAt(1);
    if (second === 47 /* / */) {
      // protocol-relative: the scheme is the base's
      if (base.protocol !== 'http:' && base.protocol !== 'https:') return mapUrlParsed(value, base, table);
      return absolute(value, 2, base.protocol.length, base.protocol + value, base, table);
    }
    if (second === 92 /* \ */) return mapUrlParsed(value, base, table);
    const origin = base.origin;
    const known = origins.find((candidate) => candidate.origin === origin);
    return known ? mapRest(known, value, base, table, value) : null;
  }
  if (first === 92 /* \ */) return mapUrlParsed(value, base, table);
  if (first === 104 /* h */) {
    if (value.startsWith('http://')) return absolute(value, 7, 5, value, base, table);
    if (value.startsWith('https://')) return absolute(value, 8, 6, value, base, table);
  }
  if (!SCHEME.test(value)) return null;
  const scheme = value.slice(0, 6).toLowerCase();
  // Only http(s) URLs can point at an origin; odd spellings of those are the parser's to judge.
  return scheme.startsWith('http:') || scheme === 'https:' ? mapUrlParsed(value, base, table) : null;
}

/**
 * `url` is the value made absolute by string (scheme + value for protocol-relative ones);
 * `authorityStart` is where the host starts in `value`, `schemeLength` the length of "http:".
 */
function absolute(value: string, authorityStart: number, schemeLength: number, url: string, base: URL, table: LinkTable): string | null {
  let end = authorityStart;
  while (end < value.length) {
    const c = value.charCodeAt(end);
    if (c === 47 || c === 63 || c === 35) break; // / ? #
    end++;
  }
  const authority = value.slice(authorityStart, end);
  if (!PLAIN_AUTHORITY.test(authority)) return mapUrlParsed(value, base, table);
  if (NUMERIC_LAST_LABEL.test(authority) && !CANONICAL_IPV4.test(authority)) return mapUrlParsed(value, base, table);
  const scheme = url.slice(0, schemeLength);
  const colon = authority.indexOf(':');
  if (colon !== -1) {
    const port = authority.slice(colon + 1);
    if ((scheme === 'http:' && port === '80') || (scheme === 'https:' && port === '443')) return mapUrlParsed(value, base, table);
  }
  const origin = `${scheme}//${authority}`;
  const known = knownOrigins(table).find((candidate) => candidate.origin === origin);
  return known ? mapRest(known, value.slice(end), base, table, value) : null;
}

/** `rest`: path, query and fragment as written. */
function mapRest(known: KnownOrigin, rest: string, base: URL, table: LinkTable, value: string): string | null {
  if (!PLAIN_REST.test(rest)) return mapUrlParsed(value, base, table);
  let hashAt = rest.indexOf('#');
  if (hashAt === -1) hashAt = rest.length;
  let queryAt = rest.indexOf('?');
  if (queryAt === -1 || queryAt > hashAt) queryAt = hashAt;
  const pathname = rest.slice(0, queryAt) || '/';
  if (DOT_SEGMENT.test(pathname)) return mapUrlParsed(value, base, table);
  // URL.search and URL.hash are '' for a bare '?' or '#'.
  const search = hashAt - queryAt > 1 ? rest.slice(queryAt, hashAt) : '';
  const hash = rest.length - hashAt > 1 ? rest.slice(hashAt) : '';
  if (known.only) {
    const { prefix, base: upstreamBase } = known.only;
    if (prefixMatches(upstreamBase, pathname)) return (prefix + pathname.slice(upstreamBase.length) || '/') + search + hash;
    return known.outside ? pathname + search + hash : null;
  }
  return gatewayPathFor({ origin: known.origin, pathname, search, hash }, known.routes);
}
