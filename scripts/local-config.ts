// What wrangler would bind to the Worker locally, read the way wrangler reads it: wrangler.toml
// `[vars]` and `[[ratelimits]]`, and `.dev.vars` secrets. Shared by `npm run check` and
// `npm run serve`, so both see the same values `npm run dev` does.
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';

export interface VarsTable {
  /** `[vars]` or `[env.NAME.vars]` */
  name: string;
  values: Record<string, unknown>;
}

export interface RateLimitBinding {
  name: string;
  /** `simple = { limit, period }`, when given */
  limit?: number;
  period?: number;
}

export interface WranglerBindings {
  /** the top level's `[vars]` first, then each `[env.NAME.vars]` */
  vars: VarsTable[];
  /** the top level's `[[ratelimits]]`: what `wrangler dev` binds without `--env` */
  rateLimits: RateLimitBinding[];
  /** every environment's `[[ratelimits]]`, the top level's included */
  allRateLimits: RateLimitBinding[];
  /** why wrangler.toml could not be read */
  error?: string;
}

export function readWranglerBindings(path: string): WranglerBindings {
  const result: WranglerBindings = { vars: [], rateLimits: [], allRateLimits: [] };
  if (!existsSync(path)) return result;
  let toml: Record<string, unknown>;
  try {
    toml = parseToml(readFileSync(path, 'utf8'));
  } catch (error) {
    return { ...result, error: `not valid TOML (${(error as Error).message.split('\n')[0]})` };
  }
  const scopes: [string, Record<string, unknown>][] = [['', toml]];
  if (isTable(toml.env)) for (const [name, env] of Object.entries(toml.env)) if (isTable(env)) scopes.push([`env.${name}.`, env]);
  for (const [prefix, scope] of scopes) {
    if (isTable(scope.vars)) result.vars.push({ name: `[${prefix}vars]`, values: scope.vars });
    if (!Array.isArray(scope.ratelimits)) continue;
    for (const entry of scope.ratelimits) {
      if (!isTable(entry) || typeof entry.name !== 'string') continue;
      const simple = isTable(entry.simple) ? entry.simple : {};
      const binding: RateLimitBinding = { name: entry.name };
      if (typeof simple.limit === 'number') binding.limit = simple.limit;
      if (typeof simple.period === 'number') binding.period = simple.period;
      result.allRateLimits.push(binding);
      if (!prefix) result.rateLimits.push(binding);
    }
  }
  return result;
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `.dev.vars` is dotenv: NAME=value, optional quotes (double quotes may span lines), # comments. */
export function readDevVars(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  return parseDotenv(readFileSync(path, 'utf8'));
}

function parseDotenv(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(lines[i]!);
    if (!match) continue;
    let value = match[2]!;
    const quote = value[0];
    if (quote === '"' || quote === "'" || quote === '`') {
      while (!(value.length > 1 && value.trimEnd().endsWith(quote)) && i + 1 < lines.length) value += `\n${lines[++i]}`;
      value = value.trimEnd().slice(1, -1);
      if (quote === '"') value = value.replace(/\\n/g, '\n');
    } else {
      value = value.replace(/\s+#.*$/, '').trim();
    }
    values[match[1]!] = value;
  }
  return values;
}
