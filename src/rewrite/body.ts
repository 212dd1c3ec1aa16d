// Decides which body transforms a response gets (substitutions, then link rewriting) and
// makes its headers honest about the changed bytes.
import type { Route } from '../config/compile.ts';
import { RUNTIME_DECODES } from '../headers.ts';
import type { Exchange } from '../pipeline/exchange.ts';
import { chainSteps, transformBytes, type ByteStep } from './chunks.ts';
// The fast tokenizer, and the HTMLRewriter reference it is tested against (for other charsets).
import { linkStep } from './fast-html.ts';
import { rewriteHtml as rewriteWithHTMLRewriter } from './html.ts';
import { mapCsp } from './csp.ts';
import { CSS_URL_PATTERN, linkTable, mapCssMatch, markGatewayPath, SUBSTITUTED, unmarkStep } from './links.ts';
import { substitutionStep, type TextRule } from './substitute.ts';

// ignoreBOM for speed, as links.ts's searchDecoder.
const prescanDecoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
// Markup the link rewriter reads as HTML does: an SVG document's root <svg> puts it in SVG
// content, where CDATA and self-closing tags mean what they mean in XML (HTMLRewriter agrees).
const HTML_TYPES = new Set(['text/html', 'application/xhtml+xml', 'image/svg+xml']);
// Several fields of one name are several policies, and get() joins them with commas as the grammar does.
const CSP_HEADERS = ['content-security-policy', 'content-security-policy-report-only'];

/** XML documents: their XML declaration may name their encoding. */
const isXml = (mime: string) => mime === 'application/xml' || mime === 'text/xml' || mime.endsWith('+xml');

/**
 * The charset an XML declaration (`<?xml ... encoding="..."?>`, only ever first), else a
 * `<meta charset>` or `<meta http-equiv=content-type>` in the first 1024 bytes names (the HTML
 * prescan, simplified); UTF-8 when none, and for UTF-16 labels, which an ASCII-compatible
 * prescan cannot have found truthfully.
 */
export function sniffCharset(head: Uint8Array): string {
  // Any decoding keeps ASCII as it is, which is all the pattern reads, and a decoder is far
  // cheaper than spreading the bytes into String.fromCharCode.
  const text = prescanDecoder.decode(head.subarray(0, 1024));
  const declared = /^<\?xml\s[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9_:.+-]+)/.exec(text) ?? /<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_:.+-]+)/i.exec(text);
  const label = declared?.[1]?.toLowerCase();
  return !label || label.startsWith('utf-16') ? 'utf-8' : label;
}

/** `text/html; charset=UTF-8` → `text/html` */
export function mimeOf(contentType: string | null): string {
  return (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

export function charsetOf(contentType: string | null): string | null {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '');
  return match ? match[1]!.toLowerCase() : null;
}

const isUtf8 = (charset: string) => charset === 'utf-8' || charset === 'utf8' || charset === 'unicode-1-1-utf-8';

/** `text/css`, `text/*` and `*\/*` patterns. */
export function typeMatches(patterns: readonly string[], mime: string): boolean {
  return patterns.some((pattern) => {
    const wanted = pattern.trim().toLowerCase();
    if (wanted === mime || wanted === '*/*') return true;
    if (wanted.endsWith('/*')) return mime.startsWith(wanted.slice(0, -1));
    // A structured-syntax suffix (RFC 6838): `application/*+json`, or `*/*+xml` for any type.
    const suffix = wanted.indexOf('/*+');
    if (suffix === -1) return false;
    const type = wanted.slice(0, suffix);
    return (type === '*' || mime.startsWith(`${type}/`)) && mime.endsWith(wanted.slice(suffix + 2));
  });
}

/** True when a response of this request and status has a body that may be rewritten. */
export function bodyRewritable(method: string, status: number, headers: Headers): boolean {
  if (method === 'HEAD' || status < 200 || status === 204 || status === 205 || status === 206 || status === 304) return false;
  const encoding = (headers.get('content-encoding') ?? '').trim().toLowerCase();
  // Anything the runtime's fetch did not decode is still compressed bytes.
  return !encoding || RUNTIME_DECODES.has(encoding);
}

const UNMARK: TextRule = { regex: new RegExp(SUBSTITUTED, 'g'), replace: '' };

/**
 * The text rules for this route and content type: substitutions first, then CSS links.
 * `linksFollow`: link rewriting (here for CSS, or the HTML rewriter after these rules) will
 * see the output, so gateway paths substitutions write are marked to keep them from being
 * mapped twice.
 */
export function textRules(route: Route, mime: string, documentUrl: URL, exchange: Pick<Exchange, 'gateway'>, linksFollow: boolean): TextRule[] {
  const rules: TextRule[] = route.substitutions
    .filter((substitution) => typeMatches(substitution.contentTypes, mime))
    .map(({ regex, replace }) => (linksFollow ? { regex, replace, then: markGatewayPath } : { regex, replace }));
  if (route.rewriteLinks && mime === 'text/css') {
    const table = linkTable(exchange.gateway);
    rules.push({ regex: CSS_URL_PATTERN, replace: (match) => mapCssMatch(match, documentUrl, table) });
    if (rules.length > 1) rules.push(UNMARK);
  }
  return rules;
}

/** Whether this route could change this response's body at all (cheap: no streams built). */
export function mayRewriteBody(route: Route, method: string, upstream: Response, mime: string): boolean {
  // The route first: on a plain proxy route the response's body and headers stay untouched.
  if (!(route.substitutions.length > 0 || (route.rewriteLinks && (HTML_TYPES.has(mime) || mime === 'text/css')))) return false;
  return upstream.body !== null && mime !== '' && bodyRewritable(method, upstream.status, upstream.headers);
}

/**
 * The rewritten body, or null when the upstream body must pass byte for byte. When it
 * rewrites, `headers` (the response's, already copied) lose Content-Length and
 * Last-Modified and keep only a weak ETag.
 */
export function rewriteBody(exchange: Exchange, upstream: Response, headers: Headers): ReadableStream | null {
  const { request, route } = exchange;
  const contentType = headers.get('content-type');
  const mime = mimeOf(contentType);
  if (!upstream.body || !mayRewriteBody(route, request.method, upstream, mime)) return null;
  const html = route.rewriteLinks && HTML_TYPES.has(mime);
  const css = route.rewriteLinks && mime === 'text/css';
  const documentUrl = new URL(exchange.upstreamUrl!);
  const rules = textRules(route, mime, documentUrl, exchange, html || css);
  if (!rules.length && !html) return null;

  const steps: ByteStep[] = [];
  let marked = false;
  if (rules.length) {
    const declared = charsetOf(contentType);
    // A page may name its charset only in <meta> or its XML declaration, in its first bytes.
    const sniffed = HTML_TYPES.has(mime) || isXml(mime);
    const substitution = substitutionStep(rules, declared ?? (sniffed ? sniffCharset : 'utf-8'));
    if (substitution) {
      steps.push(substitution);
      marked = html;
      // The text is written back as UTF-8, whatever it arrived in, and the header (which
      // browsers honour over <meta> and XML declarations) says so.
      if (!declared && sniffed) headers.set('content-type', `${mime}; charset=utf-8`);
      else if (declared && !isUtf8(declared)) headers.set('content-type', contentType!.replace(/charset\s*=\s*"?[^";\s]+"?/i, 'charset=utf-8'));
    }
  }
  let body: ReadableStream = upstream.body;
  const runSteps = () => {
    if (steps.length) body = transformBytes(body, chainSteps(steps.splice(0)));
  };
  if (html) {
    const table = linkTable(exchange.gateway);
    const finalType = headers.get('content-type')!;
    const links = linkStep(finalType, documentUrl, table);
    if (links) steps.push(links);
    else {
      // Another charset (substitutions write UTF-8, so in practice none ran): HTMLRewriter's turn.
      runSteps();
      body = rewriteWithHTMLRewriter(body, finalType, documentUrl, table);
    }
    for (const name of CSP_HEADERS) {
      const policy = headers.get(name);
      const mapped = policy && mapCsp(policy, documentUrl, table);
      if (mapped) headers.set(name, mapped);
    }
    if (marked) steps.push(unmarkStep());
  } else if (!steps.length) return null;
  runSteps();
  headers.delete('content-length');
  headers.delete('last-modified');
  // Byte ranges of the origin's body say nothing about the rewritten one.
  headers.delete('accept-ranges');
  const etag = headers.get('etag');
  if (etag && !etag.startsWith('W/')) headers.set('etag', `W/${etag}`);
  return body;
}
