// Configs that are valid but likely unsafe or broken once deployed: `npm run check` prints
// these as warnings (exit status 0). Each names its JSON path and what to do, never a value.
import type { Gateway, Route } from './compile.ts';

const BINDING_REF = /\$\{[A-Za-z_][A-Za-z0-9_]*\}/;

export function safetyWarnings(gateway: Gateway): string[] {
  return gateway.routes.flatMap((route) => [...spendableSecret(route), ...localOrigins(route), ...stickyBase(route), ...broadCredentials(route)]);
}

/** The origins a route's CORS answers, as configured: `true` and a missing list mean any. */
function corsOrigins(route: Route): string[] | null {
  const cors = route.config.cors;
  if (!cors) return null;
  return cors === true ? ['*'] : (cors.origins ?? ['*']);
}

/** An injected ${NAME} that any website may have visitors' browsers use. */
function spendableSecret(route: Route): string[] {
  const at = `routes[${route.index}]`;
  const origins = corsOrigins(route);
  if (!origins || !origins.some((origin) => origin.includes('*'))) return [];
  if (route.config.access?.auth || route.config.rateLimit) return [];
  // route.config holds the header values as written, ${NAME} and all.
  const injected = Object.keys(route.config.headers?.request?.set ?? {}).filter((name) => BINDING_REF.test(route.config.headers!.request!.set![name]!));
  if (!injected.length) return [];
  return [
    `${at}.cors: injects a binding (headers.request.set.${injected[0]}) and answers CORS for any origin or a pattern, with no access.auth and no rateLimit: ` +
      'any website can have its visitors\' browsers call the origin with it (and spend it); list the sites that may in cors.origins, or add access.auth or a rateLimit',
  ];
}

/** Origins the edge cannot fetch: an IP address (error 1003), or a private or loopback address or name. */
function localOrigins(route: Route): string[] {
  const at = (k: number) => (route.config.origins ? `routes[${route.index}].origins[${k}]` : `routes[${route.index}].origin`);
  return route.upstreams.flatMap((upstream, k) => {
    const host = new URL(upstream.origin).hostname;
    const ip = isIpAddress(host);
    if (ip && !isPrivateIp(host)) {
      return [`${at(k)}: is an IP address, which Cloudflare refuses to fetch (error 1003): this route works only under npm run serve or npm run dev; give the origin a host name (a DNS record) to deploy it`];
    }
    if (ip || isPrivateName(host)) {
      return [`${at(k)}: is a private or loopback address or name, which Cloudflare's network cannot reach: this route works only under npm run serve or npm run dev; reach it through a public host name or a Cloudflare Tunnel to deploy it`];
    }
    return [];
  });
}

/** A sticky route's pages reach every path of its origin, so a base path does not confine it. */
function stickyBase(route: Route): string[] {
  // Saying "sticky": true is knowing it.
  if (!route.sticky || route.config.sticky === true || route.prefix === '' || !route.upstreams.some((upstream) => upstream.base !== '')) return [];
  return [
    `routes[${route.index}].sticky: is on by default, and a sticky route's pages reach its whole origin, not only the base path: ` +
      'set "sticky": false to keep this route under its base path (pages then cannot load root-relative URLs outside it), or "sticky": true to keep it so',
  ];
}

/** Credentials with any origin, or a pattern sites anyone can register match. */
function broadCredentials(route: Route): string[] {
  const cors = route.config.cors;
  if (typeof cors !== 'object' || !cors.credentials) return [];
  const origins = cors.origins ?? ['*'];
  const advice = 'list exact origins, or a pattern under a domain you control such as https://*.example.com';
  if (origins.includes('*')) {
    return [`routes[${route.index}].cors.credentials: with any origin ("*"), every website can read answers made with its visitors' cookies and credentials; ${advice}`];
  }
  return origins.flatMap((origin, k) =>
    isBroadPattern(origin) ? [`routes[${route.index}].cors.origins[${k}]: is so broad a pattern that sites anyone can register match it, and with credentials they read answers made with their visitors' cookies; ${advice}`] : [],
  );
}

/**
 * A pattern whose wildcard is not confined to labels left of a domain of two labels or more:
 * `https://*`, `https://*.com`, `https://*example.com` (`evilexample.com`). A wildcard port
 * (`http://localhost:*`) confines nothing but the port.
 */
export function isBroadPattern(pattern: string): boolean {
  const host = pattern.toLowerCase().replace(/^[a-z]+:\/\//, '').replace(/:[0-9*]+$/, '');
  if (!host.includes('*')) return false;
  const fixed = host.slice(host.lastIndexOf('*') + 1);
  return !(fixed.startsWith('.') && fixed.slice(1).includes('.'));
}

export const isIpAddress = (host: string): boolean => host.startsWith('[') || /^\d+\.\d+\.\d+\.\d+$/.test(host);

/** Loopback, private, link-local, shared (CGNAT) and unspecified addresses, in the URL parser's form. */
export function isPrivateIp(host: string): boolean {
  if (host.startsWith('[')) {
    const v6 = host.slice(1, -1);
    // An IPv4-mapped address, as the parser writes it: [::ffff:7f00:1] is 127.0.0.1.
    const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(v6);
    if (mapped) {
      const [high, low] = [parseInt(mapped[1]!, 16), parseInt(mapped[2]!, 16)];
      return isPrivateIp(`${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`);
    }
    return v6 === '::1' || v6 === '::' || /^f[cd]/.test(v6) || /^fe[89ab]/.test(v6);
  }
  const [a, b] = host.split('.').map(Number) as [number, number];
  return a === 10 || a === 127 || a === 0 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127);
}

/** Names only a local network resolves: `localhost`, single labels, and the suffixes set aside for private use. */
export function isPrivateName(host: string): boolean {
  const name = host.replace(/\.$/, '');
  return !name.includes('.') || /\.(?:localhost|local|internal|intranet|lan|home\.arpa|corp|private)$/.test(name);
}
