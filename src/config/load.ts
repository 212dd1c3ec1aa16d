// Config stage: the ROUTES binding when set, else the bundled routes.json; compiled once
// per isolate and again only when the config or a binding it references changes.
import bundledRoutes from '../../routes.json';
import { compileConfig, type CompileResult } from './compile.ts';

interface CacheEntry {
  source: unknown;
  /** values of the bindings the config references, as they were when compiled */
  referenced: [name: string, value: unknown][];
  result: CompileResult;
}

let cache: CacheEntry | undefined;

export function loadConfig(env: Record<string, unknown>): CompileResult {
  const source = env.ROUTES ?? bundledRoutes;
  if (cache && cache.source === source && cache.referenced.every(([name, value]) => env[name] === value)) {
    return cache.result;
  }
  const result = compileConfig(source, env);
  cache = { source, referenced: referencedBindings(source, env), result };
  return result;
}

function referencedBindings(source: unknown, env: Record<string, unknown>): [string, unknown][] {
  const text = typeof source === 'string' ? source : JSON.stringify(source);
  const names = new Set(Array.from(text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g), (m) => m[1]!));
  return Array.from(names, (name) => [name, env[name]]);
}
