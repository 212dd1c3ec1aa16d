// `npm run serve`: the built gateway in bare workerd, one process per core, for fast local
// use and self-hosting on one machine. No dev proxy in between, so it behaves (and performs)
// like the edge; `npm run dev` is the live-reloading, slower alternative.
//
// Each workerd process runs one event loop, so using every core takes several processes on
// one port. They share it through SO_REUSEPORT: this script binds one socket per process
// and hands it over as an inherited descriptor (`workerd serve --socket-fd`). One socket
// shared by all processes also works, but Linux then tends to wake the same process for
// most connections; with one socket each the kernel spreads connections evenly.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { readDevVars, readWranglerBindings } from './local-config.ts';
import { assetsDirectory, build, discardConfig, ROOT, workerdConfig, type WorkerdOptions } from './workerd.ts';

const WORKERD = join(ROOT, 'node_modules/.bin/workerd');

export interface ServeOptions {
  port?: number;
  host?: string;
  /** workerd processes; default one per core */
  processes?: number;
  /** a prebuilt bundle; default: build src/ now */
  bundle?: string;
  /** Worker bindings (ROUTES, secrets named by `${NAME}` in the routes, ...) */
  bindings?: Record<string, unknown>;
  /** a folder served as the ASSETS binding (wrangler.toml `[assets]`) */
  assets?: string;
  /** `[[ratelimits]]` bindings (wrangler.toml), counted per workerd process */
  rateLimits?: WorkerdOptions['rateLimits'];
  /** bytes of responses the cache holds, per process (routes with `cache`) */
  cacheBytes?: number;
  /** extra `workerd serve` arguments, e.g. --inspector-addr */
  workerdArgs?: string[];
  /**
   * The access log (the Worker's console.log on workerd's stdout): 'json' (default) passes the
   * lines to our stdout as they are, 'pretty' rewrites each as one readable line, 'discard'
   * drops them (benchmarks).
   */
  logFormat?: 'json' | 'pretty' | 'discard';
  log?: (line: string) => void;
}

export interface Served {
  port: number;
  url: string;
  /** pids of the workerd processes currently running */
  pids(): number[];
  stop(): Promise<void>;
}

export async function serve(options: ServeOptions = {}): Promise<Served> {
  const host = options.host ?? '127.0.0.1';
  const count = Math.max(1, options.processes ?? availableParallelism());
  const log = options.log ?? (() => {});
  const config = workerdConfig({ script: options.bundle ?? build(), bindings: options.bindings ?? {}, assets: options.assets, rateLimits: options.rateLimits, cacheBytes: options.cacheBytes });

  let port = options.port ?? 8787;
  let reusePort = true;
  const first = await claimPort(host, port).then((port) => listen(host, port, true)).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOTSUP' && error.code !== 'EINVAL') throw error;
    // No SO_REUSEPORT on this platform: one process, which still beats `wrangler dev` by far.
    reusePort = false;
    log('SO_REUSEPORT is not available here: serving with one workerd process');
    return listen(host, port, false);
  }).catch((error: Error) => {
    discardConfig(config);
    throw error;
  });
  port = (first.address() as net.AddressInfo).port;

  const children = new Set<ChildProcess>();
  let stopping = false;

  /** Starts one workerd on its own socket; resolves when it listens. */
  const startOne = async (socket?: net.Server): Promise<void> => {
    const server = socket ?? (await listen(host, port, reusePort));
    const format = options.logFormat ?? 'json';
    const stdout = format === 'json' ? 'inherit' : format === 'pretty' ? 'pipe' : 'ignore';
    const child = spawn(WORKERD, ['serve', config, '--socket-fd', 'http=3', '--control-fd=4', ...(options.workerdArgs ?? [])], {
      stdio: ['ignore', stdout, 'inherit', fdOf(server), 'pipe'],
    });
    // Each process's lines are read whole, so two processes never interleave within a line.
    if (child.stdout) createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => process.stdout.write(`${prettyLine(line)}\n`));
    // The child holds its own copy of the socket now; ours must not accept anything.
    server.close();
    children.add(child);
    child.once('exit', (code, signal) => {
      children.delete(child);
      if (stopping) return;
      log(`workerd ${child.pid} exited (${signal ?? code}); starting another`);
      setTimeout(() => {
        if (!stopping) startOne().catch((error) => log(`could not restart workerd: ${error}`));
      }, 1000).unref();
    });
    await listening(child);
  };

  try {
    await startOne(first);
    await Promise.all(Array.from({ length: reusePort ? count - 1 : 0 }, () => startOne()));
  } catch (error) {
    stopping = true;
    await Promise.all(Array.from(children, stopChild));
    discardConfig(config);
    throw error;
  }

  return {
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    pids: () => Array.from(children, (child) => child.pid!),
    stop: async () => {
      stopping = true;
      await Promise.all(Array.from(children, stopChild));
      discardConfig(config);
    },
  };
}

/**
 * One access log line as a person reads it in a terminal, nginx-like: client, time, request,
 * status, bytes and total time, then the route, the origin with its status and time to
 * headers, the request id and any reason. Anything that is not a log line passes unchanged.
 */
export function prettyLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line);
  } catch {
    return line;
  }
  if (!entry || typeof entry !== 'object' || typeof entry.status !== 'number' || typeof entry.id !== 'string') return line;
  // A client's bytes (a Host, a path, a trusted id) never reach the terminal as control
  // characters: ESC could recolour or rewrite the operator's screen. Written as nginx does, \xHH.
  const text = (value: unknown) => (value === null || value === undefined ? '-' : String(value).replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`));
  const parts = [
    `${text(entry.ip)} [${text(entry.time)}] "${text(entry.method)} ${text(entry.host)}${text(entry.path)}" ${entry.status} ${text(entry.bytes)} ${text(entry.ms)}ms`,
  ];
  if (entry.admin) parts.push('status page');
  else parts.push(`route=${text(entry.route)}`);
  if (entry.origin) parts.push(`origin=${text(entry.origin)} ${text(entry.originStatus)} ${text(entry.originMs)}ms`);
  if (Array.isArray(entry.attempts)) parts.push(`attempts=${entry.attempts.length}`);
  if (entry.cache) parts.push(`cache="${text(entry.cache)}"`);
  parts.push(`id=${text(entry.id)}`);
  if (entry.reason) parts.push(`reason="${text(entry.reason)}"`);
  return parts.join(' ');
}

/**
 * The port, if nothing listens on it. The processes' sockets share it through SO_REUSEPORT,
 * which would also let them join a serve already running there (and take half its
 * connections): a plain bind first finds it taken. Port 0 picks a free port.
 */
async function claimPort(host: string, port: number): Promise<number> {
  const probe = await listen(host, port, false);
  const claimed = (probe.address() as net.AddressInfo).port;
  await new Promise((done) => probe.close(done));
  return claimed;
}

function listen(host: string, port: number, reusePort: boolean): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host, port, reusePort }, () => resolve(server));
  });
}

/** Node has no public accessor for a server's descriptor. */
function fdOf(server: net.Server): number {
  const fd = (server as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('cannot pass the listening socket to workerd on this platform');
  return fd;
}

/** workerd reports on the control fd once its socket accepts connections. */
function listening(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onExit = (code: number | null) => reject(new Error(`workerd exited (${code}) before listening`));
    child.once('exit', onExit);
    child.stdio[4]!.on('data', (chunk: Buffer) => {
      buffered += chunk;
      if (buffered.includes('"event":"listen"')) {
        child.off('exit', onExit);
        resolve();
      }
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once('exit', () => done());
    child.kill('SIGTERM');
  });
}

export interface LocalBindings {
  bindings: Record<string, unknown>;
  rateLimits: NonNullable<ServeOptions['rateLimits']>;
  /** where the routes come from, for the start-up line */
  routesFrom: string;
}

/**
 * What `npm run dev` would bind, for a self-hosted gateway: wrangler.toml's top-level
 * `[vars]` and `[[ratelimits]]`, `.dev.vars` over them, a ROUTES in the environment over
 * both, and every environment variable a `${NAME}` in the routes in use names.
 */
export function localBindings(env: NodeJS.ProcessEnv = process.env, root = ROOT): LocalBindings {
  const wrangler = readWranglerBindings(join(root, 'wrangler.toml'));
  if (wrangler.error) throw new Error(`wrangler.toml: ${wrangler.error}`);
  const vars = wrangler.vars.find((table) => table.name === '[vars]')?.values ?? {};
  const devVars = readDevVars(join(root, '.dev.vars'));
  const bindings: Record<string, unknown> = { ...vars, ...devVars };
  let routesFrom = devVars.ROUTES !== undefined ? '.dev.vars' : vars.ROUTES !== undefined ? 'wrangler.toml [vars]' : 'routes.json';
  if (env.ROUTES) (bindings.ROUTES = env.ROUTES), (routesFrom = '$ROUTES');
  const routes = bindings.ROUTES ?? readFileSync(join(root, 'routes.json'), 'utf8');
  for (const [, name] of (typeof routes === 'string' ? routes : JSON.stringify(routes)).matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) {
    if (env[name!] !== undefined) bindings[name!] = env[name!];
  }
  const rateLimits = wrangler.rateLimits.flatMap(({ name, limit, period }) => (limit === undefined ? [] : [{ name, limit, period }]));
  return { bindings, rateLimits, routesFrom };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      processes: { type: 'string' },
      bundle: { type: 'string' },
      'cache-size': { type: 'string' },
      log: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(`Usage: npm run serve -- [--port N] [--host ADDR] [--processes N] [--bundle dist/index.js] [--log json|pretty]

Runs the gateway in bare workerd (production-like), one process per core.
  --port       default $PORT or 8787 (0 picks a free port)
  --host       default $HOST or 127.0.0.1 (0.0.0.0 exposes it on every interface)
  --processes  default: one per core
  --bundle     serve a prebuilt bundle instead of building src/
  --cache-size MiB of responses each process's cache holds (routes with "cache"); default 64
  --log        the access log on stdout: json (default, one JSON line per request) or
               pretty (one readable line per request); routes.json's "log" says which
               requests are logged. Everything else goes to stderr.
Routes: $ROUTES (JSON) if set, else a ROUTES in .dev.vars or wrangler.toml [vars], else
routes.json. Secrets: .dev.vars, or environment variables named by \${NAME} in the routes.
Also from wrangler.toml, as npm run dev: [vars], [[ratelimits]] (counted per process) and
[assets] (static files).`);
    return;
  }
  // Set but empty counts as unset: an empty HOST would mean every interface.
  const portText = values.port ?? (process.env.PORT || '8787');
  const port = Number(portText);
  if (!/^\d+$/.test(portText.trim()) || port > 65535) throw new Error(`invalid port: ${portText}`);
  const processes = values.processes === undefined ? undefined : Number(values.processes);
  if (processes !== undefined && !(Number.isInteger(processes) && processes > 0)) throw new Error(`invalid --processes: ${values.processes}`);

  const cacheSize = values['cache-size'] === undefined ? undefined : Number(values['cache-size']);
  if (cacheSize !== undefined && !(cacheSize > 0 && Number.isFinite(cacheSize))) throw new Error(`invalid --cache-size: ${values['cache-size']} (MiB, more than 0)`);

  const logFormat = values.log ?? 'json';
  if (logFormat !== 'json' && logFormat !== 'pretty') throw new Error(`invalid --log: ${values.log} (json or pretty)`);
  const host = values.host ?? (process.env.HOST || '127.0.0.1');
  if (!host.trim()) throw new Error('invalid --host: empty (0.0.0.0 serves on every interface)');
  const { bindings, rateLimits, routesFrom } = localBindings();
  const served = await serve({
    port,
    host,
    processes,
    bundle: values.bundle,
    bindings,
    rateLimits,
    cacheBytes: cacheSize === undefined ? undefined : Math.floor(cacheSize * 1024 * 1024),
    assets: assetsDirectory(),
    logFormat,
    log: (line) => console.error(line),
  });
  const pids = served.pids();
  // On stderr: stdout carries the access log alone, one line per request.
  console.error(
    `switchyard serving ${served.url} (${pids.length} workerd process${pids.length === 1 ? '' : 'es'}, routes from ${routesFrom})`,
  );
  const shutdown = () => void served.stop().then(() => process.exit(0));
  // The workerd processes would outlive us otherwise (a SIGKILL cannot be caught: run under
  // a supervisor that kills the whole group, e.g. systemd's default KillMode=control-group).
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, shutdown);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  main().catch((error: Error) => {
    console.error(`serve: ${error.message}`);
    process.exit(1);
  });
}
