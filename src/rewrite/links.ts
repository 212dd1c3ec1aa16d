// Pure URL mapping for response bodies: which URL-bearing value points at a configured
// origin, and what gateway path replaces it. Shared by the HTMLRewriter handlers, the CSS
// stream and the WebAssembly tokenizer's JS side (fast-html.ts), so they all produce the same output.
import type { Gateway, Route } from '../config/compile.ts';
import { gatewayPathFor } from '../url.ts';
import { joinBytes, type ByteStep } from './chunks.ts';
import { urlMapper } from './fast-url.ts';

export interface LinkTable {
  routes: readonly Route[];
  /** every configured upstream origin: URLs elsewhere are left alone without further work */
  origins: ReadonlySet<string>;
}

const tables = new WeakMap<Gateway, LinkTable>();

/** Built once per compiled config. */
export function linkTable(gateway: Gateway): LinkTable {
  let table = tables.get(gateway);
  if (!table) {
    const origins = new Set(gateway.routes.flatMap((route) => route.upstreams.map((upstream) => upstream.origin)));
    table = { routes: gateway.routes, origins };
    tables.set(gateway, table);
  }
  return table;
}

/**
 * Put before a substitution's result that starts with a single `/` while link rewriting
 * follows, and removed after it: such a result is a gateway path the user wrote
 * (`http://10.1.2.3` → `/intranet`), and mapping it as the origin's root-relative URL
 * would prefix it twice. A noncharacter: it never occurs in real text.
 */
export const SUBSTITUTED = '\uFDD0';

/** Marks a substitution's result when it is a gateway path (see SUBSTITUTED). */
export function markGatewayPath(replaced: string): string {
  return replaced.charCodeAt(0) === 47 && replaced.charCodeAt(1) !== 47 && replaced.charCodeAt(1) !== 92 ? SUBSTITUTED + replaced : replaced;
}

const MARKER = new TextEncoder().encode(SUBSTITUTED);
const NO_BYTES = new Uint8Array(0);
// ignoreBOM: workerd's decoder is many times faster with it.
const searchDecoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/**
 * Removes SUBSTITUTED from a UTF-8 body, on the bytes: in UTF-8 a character's bytes never
 * occur inside another's, and a page nearly always holds no marker, so it usually passes
 * as it came. It may hand back the chunk it was given: never the first step (chunkReader
 * reuses that buffer).
 */
export function unmarkStep(): ByteStep {
  let held = NO_BYTES;
  return (chunk) => {
    const bytes = held.length ? joinBytes(held, chunk ?? NO_BYTES)! : (chunk ?? NO_BYTES);
    // A marker's first bytes at the end wait for the rest.
    const keep = chunk ? markerStartAtEnd(bytes) : 0;
    held = keep ? bytes.slice(bytes.length - keep) : NO_BYTES;
    const body = bytes.subarray(0, bytes.length - keep);
    // Decoded only to look: in workerd, decoding and a native string search cost a small
    // fraction of indexOf on the bytes.
    if (!searchDecoder.decode(body).includes(SUBSTITUTED)) return body;
    const out = new Uint8Array(body.length);
    let length = 0;
    let from = 0;
    for (let at = body.indexOf(MARKER[0]!); at >= 0; at = body.indexOf(MARKER[0]!, at + 1)) {
      if (body[at + 1] !== MARKER[1] || body[at + 2] !== MARKER[2]) continue;
      out.set(body.subarray(from, at), length);
      length += at - from;
      from = at + MARKER.length;
    }
    out.set(body.subarray(from), length);
    return out.subarray(0, length + body.length - from);
  };
}

function markerStartAtEnd(bytes: Uint8Array): number {
  const n = bytes.length;
  if (n >= 2 && bytes[n - 2] === MARKER[0] && bytes[n - 1] === MARKER[1]) return 2;
  return n >= 1 && bytes[n - 1] === MARKER[0] ? 1 : 0;
}

export const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
// What the URL parser strips from both ends of an attribute value (C0 controls and space).
const EDGE_SPACE = /^[\u0000-\u0020]+|[\u0000-\u0020]+$/g;

/**
 * The gateway path for one URL value, or null to leave it as it is. Absolute http(s),
 * protocol-relative (`//host`, and `\\host` which browsers read the same) and
 * root-relative values are resolved against `base` (the document's base URL at the
 * origin) and mapped to the route of the origin they point at. Path-relative values
 * already resolve correctly against the gateway page, so they stay, and so do gateway
 * paths a substitution wrote (marked with SUBSTITUTED).
 */
export function mapUrl(value: string, base: URL, table: LinkTable): string | null {
  // By string for the plain values pages are made of; anything else through the parser.
  return urlMapper(table)(value, base);
}

/** The same as mapUrl, always through the URL parser: the reference the fast path must equal. */
export function mapUrlParsed(value: string, base: URL, table: LinkTable): string | null {
  if (value.includes(SUBSTITUTED)) return null;
  const trimmed = value.replace(EDGE_SPACE, '');
  const first = trimmed.charCodeAt(0);
  if (first === 47 /* / */ || first === 92 /* \ */) {
    // root- or protocol-relative: resolved below
  } else if (SCHEME.test(trimmed)) {
    const scheme = trimmed.slice(0, 6).toLowerCase();
    if (!scheme.startsWith('http:') && scheme !== 'https:') return null;
  } else {
    return null;
  }
  let url: URL;
  try {
    url = new URL(trimmed, base);
  } catch {
    return null;
  }
  if (!table.origins.has(url.origin)) return null;
  return gatewayPathFor(url, table.routes);
}

/**
 * `srcset` / `imagesrcset`: a comma-separated list of "URL [descriptor]" candidates.
 * Follows the HTML parsing rules (a URL may hold commas, a trailing comma ends it) and
 * keeps everything but the mapped URLs exactly as written.
 */
export function mapSrcset(value: string, base: URL, table: LinkTable): string | null {
  let out = '';
  let changed = false;
  let i = 0;
  const n = value.length;
  const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f';
  while (i < n) {
    let start = i;
    while (i < n && (isSpace(value[i]!) || value[i] === ',')) i++;
    out += value.slice(start, i);
    if (i >= n) break;
    start = i;
    while (i < n && !isSpace(value[i]!)) i++;
    let url = value.slice(start, i);
    let trailing = '';
    const commas = /,+$/.exec(url);
    if (commas) {
      trailing = commas[0];
      url = url.slice(0, commas.index);
    }
    const mapped = url ? mapUrl(url, base, table) : null;
    if (mapped !== null) changed = true;
    out += (mapped ?? url) + trailing;
    if (trailing) continue;
    // Descriptors run to the next comma outside parentheses.
    start = i;
    let depth = 0;
    while (i < n) {
      const c = value[i]!;
      if (c === '(') depth++;
      else if (c === ')' && depth > 0) depth--;
      else if (c === ',' && depth === 0) break;
      i++;
    }
    if (i < n) i++; // the comma
    out += value.slice(start, i);
  }
  return changed ? out : null;
}

/**
 * `url(...)` in any of its three forms, `@import "..."` (the `@import url(...)` form is
 * covered by the first), and `image-set(...)` (also `-webkit-`), whose candidates may be
 * bare strings. Escaped quotes or backslashes are left alone: such URLs are rare and
 * decoding them is not worth a wrong rewrite.
 */
export const CSS_URL_PATTERN =
  /\b(url\(\s*)(?:"([^"\\\n]*)"|'([^'\\\n]*)'|([^'"()\\\s]+))(\s*\))|(@import\s+)(?:"([^"\\\n]*)"|'([^'\\\n]*)')|\b(image-set\(\s*)((?:[^()"'\\]|"[^"\\\n]*"|'[^'\\\n]*'|\((?:[^()"'\\]|"[^"\\\n]*"|'[^'\\\n]*')*\))*)(\))/gi;
/** How many groups mapCssMatch reads. */
const CSS_GROUPS = 12;
// A string that starts an image-set() candidate (one inside type("image/avif") never does).
const IMAGE_SET_STRING = /(^\s*|,\s*)(["'])([^"'\\\n]*)\2/g;

/** A CSS_URL_PATTERN match, rewritten (or returned unchanged). */
export function mapCssMatch(match: RegExpExecArray | string[], base: URL, table: LinkTable): string {
  const [whole, open, dq, sq, bare, close, atImport, idq, isq, imageSet, candidates, imageSetClose] = match;
  if (open !== undefined) {
    const value = dq ?? sq ?? bare ?? '';
    const mapped = mapUrl(value, base, table);
    if (mapped === null) return whole!;
    const quote = dq !== undefined ? '"' : sq !== undefined ? "'" : '';
    return `${open}${quote}${mapped}${quote}${close}`;
  }
  if (imageSet !== undefined) {
    const mapped = mapCss(candidates!, base, table).replace(IMAGE_SET_STRING, (string, lead: string, quote: string, value: string) => {
      const path = mapUrl(value, base, table);
      return path === null ? string : `${lead}${quote}${path}${quote}`;
    });
    return `${imageSet}${mapped}${imageSetClose}`;
  }
  const value = idq ?? isq ?? '';
  const mapped = mapUrl(value, base, table);
  if (mapped === null) return whole!;
  const quote = idq !== undefined ? '"' : "'";
  return `${atImport}${quote}${mapped}${quote}`;
}

/** Rewrites every url(), @import and image-set() in a complete piece of CSS (a stylesheet, `<style>`, or a `style` attribute). */
export function mapCss(text: string, base: URL, table: LinkTable): string {
  if (!/url\(|@import|image-set\(/i.test(text)) return text;
  return text.replace(CSS_URL_PATTERN, (...args) => mapCssMatch(args.slice(0, CSS_GROUPS) as string[], base, table));
}

// "5; url=/next", "0;URL='x'", "3, x" and "5 url=x" (all seen in the wild and accepted by browsers).
const REFRESH = /^(\s*[\d.]*\s*[;,\s]\s*(?:url\s*=\s*)?)(["']?)(.*?)\2(\s*)$/is;

/** Rewrites the URL part of a Refresh value (header or `<meta>`) with `map`; null when there is none or map declines. */
export function replaceRefreshUrl(content: string, map: (url: string) => string | null): string | null {
  const match = REFRESH.exec(content);
  if (!match) return null;
  const [, lead, quote, target, tail] = match;
  if (!target) return null;
  const mapped = map(target);
  return mapped === null ? null : `${lead}${quote}${mapped}${quote}${tail}`;
}

/** `<meta http-equiv="refresh" content="...">`: the URL part, mapped. */
export function mapRefresh(content: string, base: URL, table: LinkTable): string | null {
  return replaceRefreshUrl(content, (target) => mapUrl(target, base, table));
}

/** The document's base URL after a `<base href>` (relative to where the page came from). */
export function baseFrom(href: string, documentUrl: URL): URL {
  try {
    return new URL(href.replace(EDGE_SPACE, ''), documentUrl);
  } catch {
    return documentUrl;
  }
}

/**
 * Attributes that carry one URL, by element. Selectors stay narrow so the HTML parser only
 * stops at elements that can hold a link.
 */
export const URL_ATTRIBUTES: readonly { attribute: string; elements: readonly string[] }[] = [
  { attribute: 'href', elements: ['a', 'area', 'link', 'image', 'use', 'feimage', 'textpath'] },
  { attribute: 'src', elements: ['img', 'script', 'iframe', 'frame', 'source', 'video', 'audio', 'embed', 'track', 'input'] },
  { attribute: 'action', elements: ['form'] },
  { attribute: 'formaction', elements: ['button', 'input'] },
  { attribute: 'poster', elements: ['video'] },
  { attribute: 'data', elements: ['object'] },
  { attribute: 'cite', elements: ['blockquote', 'q', 'del', 'ins'] },
  // Legacy, but common on the old intranet sites mirroring is for.
  { attribute: 'background', elements: ['body', 'table', 'td', 'th'] },
  { attribute: 'xlink:href', elements: ['a', 'image', 'use', 'feimage', 'textpath'] },
];

/** Attributes holding a srcset list, by element. */
export const SRCSET_ATTRIBUTES: readonly { attribute: string; elements: readonly string[] }[] = [
  { attribute: 'srcset', elements: ['img', 'source'] },
  { attribute: 'imagesrcset', elements: ['link'] },
];
