// preserveHost: the origin is asked with the client's Host. Workers derive Host from the fetch
// URL, so the URL names the client's host, and something else must take the connection to
// the origin:
// - on Cloudflare, `cf.resolveOverride` (honoured when the origin is in the same zone);
// - under `npm run serve` (bare workerd), a service binding per such origin, which the
//   generated config (scripts/workerd.ts) points at the origin's address: it connects there
//   whatever host the URL names;
// - under `npm run dev` (wrangler dev) neither is possible: the origin is asked with its own
//   Host (X-Forwarded-Host still carries the client's), and a warning says so, once.
import { hostPreservingTarget } from './url.ts';

/** The binding through which bare workerd reaches a preserveHost origin (`scheme://host[:port]`). */
export const originBindingName = (origin: string): string => `switchyard-origin ${origin}`;

interface Sender {
  fetch(input: string, init?: RequestInit<RequestInitCfProperties>): Promise<Response>;
}

export interface HostPreserving {
  url: string;
  /** global fetch, or the origin's service binding */
  via: Sender;
  /** the origin's address, for Cloudflare to connect to */
  resolveOverride?: string;
}

// wrangler defines process.env.NODE_ENV when it bundles: "development" for wrangler dev,
// "production" for deploy (and for npm run serve's build). Bundled any other way there is no
// `process`: not wrangler dev.
function builtForDev(): boolean {
  try {
    return process.env.NODE_ENV === 'development';
  } catch {
    return false;
  }
}
const DEV = builtForDev();
// The Host the match stage checked (src/host.ts): nothing in it can move the path, but only
// what every URL parser takes as a host name goes into the URL.
const PLAIN_HOST = /^(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
let warned = false;

/** How to ask `origin` for `url` (a URL at that origin) with the client's Host. */
export function hostPreserving(env: Record<string, unknown>, origin: string, url: string, clientHost: string | null): HostPreserving {
  const binding = env[originBindingName(origin)] as Sender | undefined;
  if (typeof binding?.fetch === 'function') {
    // The binding decides where the connection goes: the URL only carries the client's Host,
    // as sent (a port included), when it is a plain host[:port] that cannot change the path.
    const hostUrl = clientHost && PLAIN_HOST.test(clientHost) ? `${origin.slice(0, origin.indexOf('//') + 2)}${clientHost}${url.slice(origin.length)}` : url;
    return { url: hostUrl, via: binding };
  }
  if (DEV) {
    if (!warned) {
      warned = true;
      console.warn(
        'switchyard: preserveHost cannot work under wrangler dev (cf.resolveOverride works only on Cloudflare): origins are asked with their own Host, and X-Forwarded-Host carries the client\'s. npm run serve preserves it.',
      );
    }
    return { url, via: globalThis };
  }
  const { url: hostUrl, resolveOverride } = hostPreservingTarget(url, clientHost);
  return resolveOverride ? { url: hostUrl, via: globalThis, resolveOverride } : { url: hostUrl, via: globalThis };
}
