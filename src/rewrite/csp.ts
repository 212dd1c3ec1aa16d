// Content-Security-Policy on a page whose links now point at gateway paths. A source that
// names a configured origin (`img-src https://cdn.example`) would block the very requests
// link rewriting moved onto the gateway, so it gains 'self' beside it; `report-uri` targets
// are mapped as links are, so violation reports reach the origin through the gateway too.
// 'self' rather than the gateway path of the route: the sticky site sends root-relative
// requests built at run time outside the route's path, and a path-scoped source would block them.
import { mapUrl, type LinkTable } from './links.ts';

/** Directives whose value is a source list (CSP3: the fetch directives with their -elem/-attr forms, and the navigation ones). */
const SOURCE_LIST = /^[a-z-]+-src(?:-elem|-attr)?$|^(?:form-action|frame-ancestors|base-uri|navigate-to)$/;
const SCHEME_ONLY = /^[a-z][a-z0-9+.-]*:$/i;
const WITH_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
const SPACE = /[\t\n\f\r ]+/;
const EDGE_SPACE = /^[\t\n\f\r ]+|[\t\n\f\r ]+$/g;

/**
 * A policy (header value, or `<meta http-equiv="Content-Security-Policy">` content) for a
 * page served from `base`, changed as above; null when nothing in it names a configured origin.
 */
export function mapCsp(value: string, base: URL, table: LinkTable): string | null {
  let changed = false;
  // Several policies are joined by commas, their directives by semicolons; neither occurs inside a token.
  const policies = splitOutsideReferences(value, ',').map((policy) =>
    splitOutsideReferences(policy, ';')
      .map((directive) => {
        const mapped = mapDirective(directive, base, table);
        if (mapped === null) return directive;
        changed = true;
        return mapped;
      })
      .join(';'),
  );
  return changed ? policies.join(',') : null;
}

// A <meta> policy arrives as written in the attribute, character references undecoded:
// `&quot;` holds a semicolon that separates nothing, and `&#39;self&#39;` is 'self'.
const REFERENCE_OR_SEPARATOR = /&(?:#\d+|#x[\da-f]+|[a-z][a-z\d]*);|[;,]/gi;
const QUOTE_REFERENCE = /&(?:#0*39|#x0*27|apos);/gi;

function splitOutsideReferences(value: string, separator: ',' | ';'): string[] {
  const parts: string[] = [];
  let start = 0;
  for (const match of value.matchAll(REFERENCE_OR_SEPARATOR)) {
    if (match[0] !== separator) continue;
    parts.push(value.slice(start, match.index));
    start = match.index + 1;
  }
  parts.push(value.slice(start));
  return parts;
}

const unquoted = (token: string) => token.replace(QUOTE_REFERENCE, "'").toLowerCase();

function mapDirective(directive: string, base: URL, table: LinkTable): string | null {
  const core = directive.replace(EDGE_SPACE, '');
  if (!core) return null;
  const [name, ...tokens] = core.split(SPACE) as [string, ...string[]];
  const directiveName = name.toLowerCase();
  let mapped: string[] | null = null;
  if (directiveName === 'report-uri') {
    const paths = tokens.map((token) => mapUrl(token, base, table));
    if (paths.some((path) => path !== null)) mapped = tokens.map((token, i) => paths[i] ?? token);
  } else if (
    SOURCE_LIST.test(directiveName) &&
    !tokens.some((token) => unquoted(token) === "'self'") &&
    tokens.some((token) => namesConfiguredOrigin(token, base, table))
  ) {
    mapped = [...tokens, "'self'"];
  }
  if (!mapped) return null;
  // Only what surrounds the directive is kept as it was; its tokens are joined by single spaces.
  const at = directive.indexOf(core);
  return `${directive.slice(0, at)}${[name, ...mapped].join(' ')}${directive.slice(at + core.length)}`;
}

/** A host-source whose scheme, host and port are those of a configured origin (no wildcards). */
function namesConfiguredOrigin(source: string, base: URL, table: LinkTable): boolean {
  if (!source || unquoted(source).startsWith("'") || source.includes('*') || SCHEME_ONLY.test(source)) return false;
  // Without a scheme, a source means the protected page's own (CSP3 host-source matching).
  const absolute = WITH_SCHEME.test(source) ? source : `${base.protocol}//${source}`;
  try {
    return table.origins.has(new URL(absolute).origin);
  } catch {
    return false;
  }
}
