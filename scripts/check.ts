// `npm run check [file…]`: validates routes configs with the gateway's own compiler, so it
// prints exactly the problems a deployed gateway would answer 500 with. Checks routes.json
// (or the files given), a ROUTES set in wrangler.toml vars or .dev.vars, and a ROUTES in
// the environment. `${NAME}` the repo does not define are only warnings: secrets live in
// Cloudflare; so are valid configs that are likely unsafe or broken once deployed
// (src/config/warnings.ts). Exit status 1 when anything has an error.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { compileConfig } from '../src/config/compile.ts';
import { safetyWarnings } from '../src/config/warnings.ts';
import { readDevVars, readWranglerBindings } from './local-config.ts';

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

const wrangler = readWranglerBindings(resolve(cwd, 'wrangler.toml'));
const devVars = readDevVars(resolve(cwd, '.dev.vars'));
// What `wrangler dev` or a deployment could bind: every environment's vars and the local secrets.
const bindings: Record<string, unknown> = Object.assign({}, ...wrangler.vars.map((table) => table.values), devVars);
// Declared [[ratelimits]] exist once deployed; a stand-in tells the compiler so.
for (const { name } of wrangler.allRateLimits) bindings[name] = { limit: async () => ({ success: true }) };

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
      ? { label: source.label, errors: [], warnings: [...result.warnings, ...safetyWarnings(result.gateway)], routes: result.gateway.routes.length }
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
