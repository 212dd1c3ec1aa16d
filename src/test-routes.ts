// Builds compiled routes for unit tests from plain config, through the real compiler.
import { compileConfig, type Gateway } from './config/compile.ts';
import type { RouteConfig } from './config/schema.ts';

export function gatewayOf(routes: RouteConfig[], env: Record<string, unknown> = {}): Gateway {
  const result = compileConfig({ routes }, env);
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.gateway;
}
