// A config whose shape is wrong somewhere, read route by route: the routes that are right on
// their own compile as usual, and the rest still have their ${NAME} and rate limiting
// bindings looked up, so `npm run check` and the 500 list every problem in one pass.
import * as v from 'valibot';
import { routeSchema, type RouteConfig } from './schema.ts';

/** A route entry: well-formed (compiled as usual), or not (only its bindings are checked). */
export type CheckedRoute =
  | { index: number; entry: RouteConfig }
  | { index: number; references: { value: string; at: string }[]; rateLimit?: { binding: string; at: string } };

const BINDING_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export function checkedRoutes(input: unknown): CheckedRoute[] {
  const routes = isObject(input) ? input.routes : undefined;
  if (!Array.isArray(routes)) return [];
  return routes.map((entry: unknown, index) => {
    const parsed = v.safeParse(routeSchema, entry, { abortPipeEarly: true });
    return parsed.success ? { index, entry: parsed.output } : { index, ...bindingsOf(entry, `routes[${index}]`) };
  });
}

/** Where a route names bindings (compile.ts resolves the same places): header values, the access credential, the rate limiter. */
function bindingsOf(entry: unknown, at: string): Omit<Extract<CheckedRoute, { references: unknown }>, 'index'> {
  const references: { value: string; at: string }[] = [];
  if (!isObject(entry)) return { references };
  const headers = isObject(entry.headers) ? entry.headers : {};
  for (const which of ['request', 'response']) {
    const ops = headers[which];
    const set = isObject(ops) && isObject(ops.set) ? ops.set : {};
    for (const [name, value] of Object.entries(set)) if (typeof value === 'string') references.push({ value, at: `${at}.headers.${which}.set.${name}` });
  }
  const auth = isObject(entry.access) && isObject(entry.access.auth) ? entry.access.auth : {};
  if (typeof auth.credential === 'string') references.push({ value: auth.credential, at: `${at}.access.auth.credential` });
  const binding = isObject(entry.rateLimit) ? entry.rateLimit.binding : undefined;
  // Named in a message only when it is a name: a value in the wrong place may be a secret.
  if (typeof binding !== 'string' || !BINDING_NAME.test(binding)) return { references };
  return { references, rateLimit: { binding, at: `${at}.rateLimit.binding` } };
}
