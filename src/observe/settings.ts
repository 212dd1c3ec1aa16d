// The top-level observability fields of routes.json (requestId, log, serverTiming, admin),
// checked and compiled once per isolate into what the hot path reads.
import { compileAccess, type AccessPolicy } from '../access.ts';
import type { Route } from '../config/compile.ts';
import type { AdminConfig, RoutesConfig } from '../config/schema.ts';
import { HOP_BY_HOP } from '../headers.ts';

export interface AdminSettings {
  path: string;
  auth: { type: 'bearer' | 'basic'; credential: string };
  /** the allowIps list as an access policy (deny empty); null: any address (auth still required) */
  access: AccessPolicy | null;
}

export interface Observe {
  requestId: { header: string; trustIncoming: boolean };
  log: { requests: 'all' | 'errors' | 'none'; sample: number; query: boolean };
  serverTiming: boolean;
  admin: AdminSettings | null;
  /** every value injected from a binding (routes' header rules, credentials): kept out of log lines */
  secrets: string[];
}

export const DEFAULT_REQUEST_ID_HEADER = 'x-request-id';
export const DEFAULT_ADMIN_PATH = '/_switchyard';

/** What an invalid config (which has no settings to trust) answers with. */
export const DEFAULT_OBSERVE: Observe = {
  requestId: { header: DEFAULT_REQUEST_ID_HEADER, trustIncoming: false },
  log: { requests: 'all', sample: 1, query: false },
  serverTiming: true,
  admin: null,
  secrets: [],
};

/**
 * Headers the gateway or the runtime own: an id in one of them would be overwritten, break
 * framing or forwarding, or (cookies, credentials) be mistaken for something else.
 */
const RESERVED = new Set([
  ...HOP_BY_HOP,
  'host', 'content-length', 'content-type', 'content-encoding', 'cookie', 'set-cookie', 'authorization',
  'server-timing', 'timing-allow-origin', 'via', 'cdn-loop', 'forwarded', 'location', 'vary',
]);

type Resolve = (value: string, at: string, secrets: string[]) => string;

/** Compiles the observability fields; problems name their JSON path and never echo a value. */
export function compileObserve(config: RoutesConfig, routes: readonly Route[], resolve: Resolve, problems: string[], warnings: string[]): Observe {
  const header = (config.requestId?.header ?? DEFAULT_REQUEST_ID_HEADER).toLowerCase();
  if (RESERVED.has(header) || header.startsWith('x-forwarded-') || header.startsWith('cf-') || header.startsWith('access-control-')) {
    problems.push(`requestId.header: ${header} is a header the gateway or the runtime manages; use a name of its own such as X-Request-Id`);
  }
  const log = typeof config.log === 'string' ? { requests: config.log } : (config.log ?? {});
  if (log.query) warnings.push('log.query: query strings are logged, and they often hold tokens or personal data');
  const serverTiming = config.serverTiming ?? true;
  // A route's own exposeHeaders list cannot know the gateway's headers: pages read them too.
  for (const route of routes) {
    const listed = route.cors?.exposeHeaders;
    if (!listed) continue;
    const names = new Set(listed.map((name) => name.toLowerCase()));
    for (const name of serverTiming ? [header, 'server-timing'] : [header]) if (!names.has(name)) listed.push(name);
  }
  const secrets = routes.flatMap((route) => route.secrets);
  const admin = config.admin ? compileAdmin(config.admin, resolve, secrets, problems, warnings) : null;
  return {
    requestId: { header, trustIncoming: config.requestId?.trustIncoming ?? false },
    log: { requests: log.requests ?? 'all', sample: log.sample ?? 1, query: log.query ?? false },
    serverTiming,
    admin,
    secrets: [...new Set(secrets.filter(Boolean))],
  };
}

function compileAdmin(config: AdminConfig, resolve: Resolve, secrets: string[], problems: string[], warnings: string[]): AdminSettings {
  const credential = resolve(config.auth.credential, 'admin.auth.credential', secrets);
  if (!credential.trim()) problems.push('admin.auth.credential: resolves to an empty value; the status page needs a credential');
  const access = config.allowIps ? compileAccess({ allowIps: config.allowIps }, 'admin', problems) : null;
  if (!access) warnings.push('admin.allowIps: not set, so the status page answers any address that has the credential');
  return { path: config.path ?? DEFAULT_ADMIN_PATH, auth: { type: config.auth.type, credential }, access };
}
