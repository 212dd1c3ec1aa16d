// Compiled routes for unit tests, built from plain config through the real compiler.
import { compileConfig, type Gateway } from './config/compile.ts';

export function gatewayOf(routes: unknown[], env: Record<string, unknown> = {}): Gateway {
  const result = compileConfig({ routes }, env);
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.gateway;
}
