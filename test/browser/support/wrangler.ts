// The gateway under `wrangler dev`, as a user runs it: a temp wrangler.toml pointing at
// src/index.ts, with ROUTES, vars, secrets (.dev.vars) and [[ratelimits]] of the test's own.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compatibility, freePort, ROOT } from '../../../scripts/workerd.ts';

export interface RateLimitBinding {
  /** binding name, as a route's `rateLimit.binding` names it */
  name: string;
  /** any positive integer as a string; namespaces separate counters */
  namespaceId: string;
  limit: number;
  /** seconds: Cloudflare allows 10 or 60 */
  period: 10 | 60;
}

export interface WranglerDevOptions {
  /** the ROUTES var (object or JSON text); undefined: the bundled routes.json */
  routes?: unknown;
  /** plain [vars] */
  vars?: Record<string, string>;
  /** written to .dev.vars: what `wrangler secret put` provides in production */
  secrets?: Record<string, string>;
  ratelimits?: RateLimitBinding[];
}

export interface WranglerDev {
  url: string;
  port: number;
  /** everything wrangler printed so far, for failure messages */
  output(): string;
  stop(): Promise<void>;
}

const tomlString = (value: string) => JSON.stringify(value);

function wranglerToml(options: WranglerDevOptions): string {
  const { date, flags } = compatibility();
  const vars: Record<string, string> = { ...options.vars };
  if (options.routes !== undefined) {
    vars.ROUTES = typeof options.routes === 'string' ? options.routes : JSON.stringify(options.routes);
  }
  const lines = [
    'name = "switchyard-test"',
    `main = ${tomlString(join(ROOT, 'src/index.ts'))}`,
    `compatibility_date = ${tomlString(date)}`,
    `compatibility_flags = [${flags.map(tomlString).join(', ')}]`,
    'send_metrics = false',
    '',
    '[vars]',
    ...Object.entries(vars).map(([name, value]) => `${name} = ${tomlString(value)}`),
  ];
  for (const limiter of options.ratelimits ?? []) {
    lines.push(
      '',
      '[[ratelimits]]',
      `name = ${tomlString(limiter.name)}`,
      `namespace_id = ${tomlString(limiter.namespaceId)}`,
      `simple = { limit = ${limiter.limit}, period = ${limiter.period} }`,
    );
  }
  return lines.join('\n') + '\n';
}

function gatewayId(routes: unknown): string {
  try {
    const config = routes === undefined ? JSON.parse(readFileSync(join(ROOT, 'routes.json'), 'utf8')) : typeof routes === 'string' ? JSON.parse(routes) : routes;
    return typeof config?.id === 'string' ? config.id : 'switchyard';
  } catch {
    return 'switchyard';
  }
}

export { freePort };

/**
 * The environment a user's `npm run dev` has: no NODE_ENV (vitest sets "test", which wrangler
 * would bundle in place of its "development"), and no network for the cf object.
 */
function devEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true', NO_COLOR: '1', BROWSER: 'none', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };
  delete env.NODE_ENV;
  return env;
}

/** Starts `wrangler dev` on 127.0.0.1 and resolves once it answers HTTP. */
export async function startWranglerDev(options: WranglerDevOptions = {}): Promise<WranglerDev> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-wrangler-'));
  const config = join(dir, 'wrangler.toml');
  writeFileSync(config, wranglerToml(options));
  if (options.secrets) {
    writeFileSync(join(dir, '.dev.vars'), Object.entries(options.secrets).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join('\n') + '\n');
  }
  const port = await freePort();
  const inspectorPort = await freePort();
  // process.execPath: wrangler needs Node 22, which a bare `#!/usr/bin/env node` may not find.
  const child: ChildProcess = spawn(
    process.execPath,
    [
      join(ROOT, 'node_modules/wrangler/bin/wrangler.js'),
      'dev',
      '--config', config,
      '--ip', '127.0.0.1',
      '--port', String(port),
      '--inspector-port', String(inspectorPort),
      '--persist-to', join(dir, 'state'),
      '--show-interactive-dev-session=false',
      '--log-level', 'warn',
    ],
    {
      cwd: dir,
      // Own process group: stop() ends wrangler and the workerd it spawned, nothing else.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: devEnvironment(),
    },
  );
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      const killed = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 5000))]);
      if (!killed) {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
        await exited;
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`wrangler dev exited (${child.exitCode}) before serving:\n${output}`);
    }
    try {
      // Any answer means the Worker is up; CDN-Loop with our id makes the gateway answer
      // 508 itself, so the probe never reaches (and never shows up in) a test's origin.
      await fetch(`${url}/__switchyard_ready__`, {
        headers: { 'cdn-loop': gatewayId(options.routes) },
        signal: AbortSignal.timeout(2000),
        redirect: 'manual',
      });
      return { url, port, output: () => output, stop };
    } catch {
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  await stop();
  throw new Error(`wrangler dev did not answer within 90 s:\n${output}`);
}
