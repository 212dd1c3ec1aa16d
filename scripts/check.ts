// `npm run check [file…]`: validates routes configs with the gateway's own compiler, so it
// prints exactly the problems a deployed gateway would answer 500 with. Checks routes.json
// (or the files given), a ROUTES set in wrangler.toml vars or .dev.vars, and a ROUTES in
// the environment. `${NAME}` the repo does not define are only warnings: secrets live in
// Cloudflare. Exit status 1 when anything has an error.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { compileConfig } from '../src/config/compile.ts';

interface Source {
  label: string;
  config?: unknown;
  /** why it could not be read */
  error?: string;
}

interface Report {
  label: string;
  errors: string[];
  warnings: string[];
  routes?: number;
}

const cwd = process.cwd();
const files = process.argv.slice(2);

const wrangler = readWranglerVars(resolve(cwd, 'wrangler.toml'));
const devVars = readDevVars(resolve(cwd, '.dev.vars'));
// What `wrangler dev` or a deployment could bind: every environment's vars and the local secrets.
const bindings: Record<string, unknown> = Object.assign({}, ...wrangler.vars.map((table) => table.values), devVars);
// Declared [[ratelimits]] exist once deployed; a stand-in tells the compiler so.
for (const name of wrangler.rateLimits) bindings[name] = { limit: async () => ({ success: true }) };

const sources: Source[] = [];
const reports: Report[] = [];
for (const file of files.length ? files : ['routes.json']) {
  const path = resolve(cwd, file);
  sources.push(existsSync(path) ? { label: file, config: readFileSync(path, 'utf8') } : { label: file, error: 'file not found' });
}
if (!files.length) {
  for (const table of wrangler.vars) {
    if (table.values.ROUTES !== undefined) sources.push({ label: `wrangler.toml ${table.name} ROUTES`, config: table.values.ROUTES });
  }
  if (devVars.ROUTES !== undefined) sources.push({ label: '.dev.vars ROUTES', config: devVars.ROUTES });
}
if (process.env.ROUTES) sources.push({ label: 'ROUTES (environment)', config: process.env.ROUTES });

if (wrangler.error) sources.unshift({ label: 'wrangler.toml', error: wrangler.error });
for (const source of sources) {
  if (source.error) {
    reports.push({ label: source.label, errors: [`(root): ${source.error}`], warnings: [] });
    continue;
  }
  const result = compileConfig(source.config, bindings, { unboundBindings: 'warning' });
  reports.push(
    result.ok
      ? { label: source.label, errors: [], warnings: result.warnings, routes: result.gateway.routes.length }
      : { label: source.label, errors: result.problems, warnings: result.warnings },
  );
}

for (const report of reports) {
  const counts = [plural(report.errors.length, 'error'), plural(report.warnings.length, 'warning')].filter(Boolean).join(', ');
  const verdict = report.errors.length ? counts : `OK (${report.routes} route${report.routes === 1 ? '' : 's'})${counts ? `, ${counts}` : ''}`;
  console.log(`${report.label}: ${verdict}`);
  for (const error of report.errors) console.log(`  ${error}`);
  for (const warning of report.warnings) console.log(`  ${labelWarning(warning)}`);
}
process.exitCode = reports.some((report) => report.errors.length) ? 1 : 0;

function plural(count: number, noun: string): string {
  return count ? `${count} ${noun}${count === 1 ? '' : 's'}` : '';
}

/** `path: message` → `path: warning: message`, so the JSON path still comes first. */
function labelWarning(warning: string): string {
  const at = warning.indexOf(': ');
  return at === -1 ? `warning: ${warning}` : `${warning.slice(0, at)}: warning: ${warning.slice(at + 2)}`;
}

interface VarsTable {
  /** `[vars]` or `[env.NAME.vars]` */
  name: string;
  values: Record<string, unknown>;
}

function readWranglerVars(path: string): { vars: VarsTable[]; rateLimits: string[]; error?: string } {
  const vars: VarsTable[] = [];
  const rateLimits: string[] = [];
  if (!existsSync(path)) return { vars, rateLimits };
  let toml: Record<string, unknown>;
  try {
    toml = parseToml(readFileSync(path, 'utf8'));
  } catch (error) {
    return { vars, rateLimits, error: `not valid TOML (${(error as Error).message.split('\n')[0]})` };
  }
  const scopes: [string, Record<string, unknown>][] = [['', toml]];
  if (isTable(toml.env)) for (const [name, env] of Object.entries(toml.env)) if (isTable(env)) scopes.push([`env.${name}.`, env]);
  for (const [prefix, scope] of scopes) {
    if (isTable(scope.vars)) vars.push({ name: `[${prefix}vars]`, values: scope.vars });
    if (Array.isArray(scope.ratelimits)) {
      for (const entry of scope.ratelimits) if (isTable(entry) && typeof entry.name === 'string') rateLimits.push(entry.name);
    }
  }
  return { vars, rateLimits };
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `.dev.vars` is dotenv: NAME=value, optional quotes (double quotes may span lines), # comments. */
function readDevVars(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  const values: Record<string, string> = {};
  const lines = readFileSync(path, 'utf8').split(/\r?\n/);
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
