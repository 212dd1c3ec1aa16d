// Runs the built gateway in bare workerd: production-like, with no dev proxy in between.
// Shared by `npm run serve` and the test suite, so tests exercise what serve runs.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { BuildOptions } from 'esbuild';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { originBindingName } from '../src/preserve-host.ts';

export const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
const BIN = join(ROOT, 'node_modules/.bin');

/** Bundles src/ exactly as `wrangler deploy` would, into dir, stamped with the build time (the status page shows it). */
export function build(outDir = join(ROOT, 'dist')): string {
  const stamp = `SWITCHYARD_BUILT_AT:${JSON.stringify(new Date().toISOString())}`;
  // process.execPath: wrangler needs Node 22, which a bare `#!/usr/bin/env node` may not find.
  execFileSync(process.execPath, [join(ROOT, 'node_modules/wrangler/bin/wrangler.js'), 'deploy', '--dry-run', '--outdir', outDir, '--define', stamp], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
  });
  return join(outDir, 'index.js');
}

export function compatibility(): { date: string; flags: string[] } {
  const toml = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8');
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1] ?? '2026-10-01';
  const flags = Array.from((/^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1] ?? '').matchAll(/"([^"]+)"/g), (m) => m[1]!);
  return { date, flags };
}

export interface WorkerdOptions {
  script: string;
  /** host:port; port 0 picks a free one */
  address?: string;
  /** string values become text bindings, anything else a JSON binding */
  bindings?: Record<string, unknown>;
  /** a folder served as the ASSETS binding, as `[assets]` in wrangler.toml does under wrangler */
  assets?: string;
  /** `[[ratelimits]]` bindings: counted in a Worker of their own, per workerd process */
  rateLimits?: readonly { name: string; limit: number; period?: number }[];
  /** bytes the Cache API's store (scripts/cache-service.js) holds, per workerd process; default 64 MiB */
  cacheBytes?: number;
  /** host:port of a cache service running elsewhere, shared, instead of one in this process */
  cacheStore?: string;
}

export const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;

/** `[assets] directory` of wrangler.toml, absolute, or undefined when there is none. */
export function assetsDirectory(): string | undefined {
  const toml = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8');
  const directory = /^\[assets\][^[]*?^directory\s*=\s*"([^"]+)"/ms.exec(toml)?.[1];
  return directory ? resolve(ROOT, directory) : undefined;
}

// Bare workerd has no static-assets service: a disk service behind a small Worker that does
// what Workers assets do by default (index.html for folders, `.html` optional, content types).
// Dotfiles stay hidden (the disk service's default). A path that names no file it can read
// answers 404: one with an empty segment (`//x/index.html` is not `/index.html`), and one the
// disk service refuses (`/%00`).
const ASSETS_SHIM = `const TYPES = { html: 'text/html; charset=utf-8', css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8', json: 'application/json', txt: 'text/plain; charset=utf-8', svg: 'image/svg+xml',
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', ico: 'image/x-icon',
  woff2: 'font/woff2', wasm: 'application/wasm' };
export default {
  async fetch(request, env) {
    let url;
    try {
      url = new URL(request.url);
    } catch {
      return notFound();
    }
    if (url.pathname.includes('//')) return notFound();
    const candidates = url.pathname.endsWith('/') ? [url.pathname + 'index.html'] : [url.pathname, url.pathname + '.html', url.pathname + '/index.html'];
    for (const path of candidates) {
      // Joined as a string: new URL(path, base) reads a path starting with // as a host.
      const file = await env.DISK.fetch('http://disk' + path).catch(() => null);
      // The disk service answers a folder with a JSON listing: only files count.
      if (file?.status !== 200 || file.headers.get('content-type') !== 'application/octet-stream') continue;
      // A folder's index, asked for without the slash: relative links need the slash.
      if (path === url.pathname + '/index.html') {
        return new Response(null, { status: 307, headers: { location: url.pathname + '/' + url.search } });
      }
      const type = TYPES[path.slice(path.lastIndexOf('.') + 1).toLowerCase()] ?? 'application/octet-stream';
      const headers = { 'content-type': type, 'content-length': file.headers.get('content-length') ?? undefined };
      if (!headers['content-length']) delete headers['content-length'];
      return new Response(request.method === 'HEAD' ? null : file.body, { headers });
    }
    return notFound();
  },
};
const notFound = () => new Response('Not Found', { status: 404 });
`;

// Bare workerd has no Rate Limiting binding: a Worker reached over RPC that counts as its
// `simple = { limit, period }` says, in fixed windows (Cloudflare's counts are per location
// and approximate too). Keys of past windows are dropped once there are many.
const RATE_LIMIT_SHIM = `import { WorkerEntrypoint } from 'cloudflare:workers';
const windows = new Map();
export default class extends WorkerEntrypoint {
  async limit({ key }) {
    const window = Math.floor(Date.now() / 1000 / this.env.PERIOD);
    if (windows.size > 10000) for (const [k, w] of windows) if (w.window !== window) windows.delete(k);
    let counted = windows.get(key);
    if (!counted || counted.window !== window) windows.set(key, (counted = { window, count: 0 }));
    return { success: ++counted.count <= this.env.LIMIT };
  }
}
`;

/**
 * A workerd config, in a folder of its own. Binding values go through files (`embed`,
 * relative to the config), so nothing needs capnp escaping. They include routes and secrets:
 * call discardConfig once no workerd will start from it again.
 */
export function workerdConfig(options: WorkerdOptions): string {
  // The bundle imports its WebAssembly as sibling files (`./<hash>-name.wasm`), as wrangler
  // writes them; only those it imports, not stale ones an earlier build left in the folder.
  // Read before anything is written: a missing bundle must leave nothing behind.
  const scriptDir = dirname(resolve(options.script));
  const wasmFiles = [...new Set(Array.from(readFileSync(options.script, 'utf8').matchAll(/from\s*"\.\/([^"/]+\.wasm)"/g), (m) => m[1]!))];
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-workerd-'));
  try {
    return writeConfig(dir, options, wasmFiles.map((file) => join(scriptDir, file)));
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

function writeConfig(dir: string, options: WorkerdOptions, wasmPaths: string[]): string {
  const { date, flags } = compatibility();
  const bindings = Object.entries(options.bindings ?? {}).map(([name, value], i) => {
    const file = join(dir, `binding-${i}`);
    writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
    return `(name = ${JSON.stringify(name)}, ${typeof value === 'string' ? 'text' : 'json'} = embed ${JSON.stringify(relative(dir, file))})`;
  });
  let assetServices = '';
  let assetWorker = '';
  if (options.assets) {
    writeFileSync(join(dir, 'assets.js'), ASSETS_SHIM);
    bindings.push('(name = "ASSETS", service = "assets")');
    assetServices = `
    (name = "assets", worker = .assets),
    (name = "assets-disk", disk = (path = ${JSON.stringify(resolve(options.assets))}, writable = false)),`;
    assetWorker = `const assets :Workerd.Worker = (
  modules = [ (name = "assets.js", esModule = embed "assets.js") ],
  compatibilityDate = ${JSON.stringify(date)},
  bindings = [ (name = "DISK", service = "assets-disk") ],
);
`;
  }
  const wasmModules = wasmPaths.map((path) => `, (name = ${JSON.stringify(basename(path))}, wasm = embed ${JSON.stringify(relative(dir, path))})`).join('');
  let rateLimitServices = '';
  if (options.rateLimits?.length) writeFileSync(join(dir, 'ratelimit.js'), RATE_LIMIT_SHIM);
  for (const { name, limit, period } of options.rateLimits ?? []) {
    bindings.push(`(name = ${JSON.stringify(name)}, service = ${JSON.stringify(`ratelimit-${name}`)})`);
    rateLimitServices += `
    (name = ${JSON.stringify(`ratelimit-${name}`)}, worker = (
      modules = [ (name = "ratelimit.js", esModule = embed "ratelimit.js") ],
      compatibilityDate = ${JSON.stringify(date)},
      bindings = [ (name = "LIMIT", json = "${Number(limit)}"), (name = "PERIOD", json = "${Number(period ?? 60)}") ],
    )),`;
  }
  // preserveHost: one service per such origin that connects to its address whatever host the
  // URL names, so the gateway can send the client's Host there (src/preserve-host.ts).
  let originServices = '';
  for (const [i, origin] of preserveHostOrigins(options.bindings?.ROUTES ?? readFileSync(join(ROOT, 'routes.json'), 'utf8')).entries()) {
    const url = new URL(origin);
    const https = url.protocol === 'https:';
    const address = JSON.stringify(`${url.hostname}:${url.port || (https ? 443 : 80)}`);
    const protocol = https ? `https = (certificateHost = ${JSON.stringify(url.hostname.replace(/^\[|\]$/g, ''))}, tlsOptions = (trustBrowserCas = true))` : 'http = ()';
    bindings.push(`(name = ${JSON.stringify(originBindingName(origin))}, service = "origin-${i}")`);
    originServices += `
    (name = "origin-${i}", external = (address = ${address}, ${protocol})),`;
  }
  // Bare workerd has no cache behind caches.default: the Cache API's requests go to this Worker.
  const cacheService = options.cacheStore
    ? `(name = "cache", external = (address = ${JSON.stringify(options.cacheStore)}, http = ()))`
    : `(name = "cache", worker = ${cacheWorker(dir, options.cacheBytes)})`;
  const config = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "gateway", worker = .gateway),${assetServices}${rateLimitServices}${originServices}
    ${cacheService},
    # Origins on loopback and private networks are refused unless allowed here.
    (name = "internet", network = (allow = ["public", "private", "local"], tlsOptions = (trustBrowserCas = true))),
  ],
  sockets = [ (name = "http", address = ${JSON.stringify(options.address ?? '127.0.0.1:0')}, http = (), service = "gateway") ],
);
const gateway :Workerd.Worker = (
  modules = [ (name = "index.js", esModule = embed ${JSON.stringify(relative(dir, resolve(options.script)))})${wasmModules} ],
  compatibilityDate = ${JSON.stringify(date)},
  compatibilityFlags = [${flags.map((f) => JSON.stringify(f)).join(', ')}],
  bindings = [${bindings.join(', ')}],
  globalOutbound = "internet",
  cacheApiOutbound = "cache",
);
${assetWorker}`;
  const path = join(dir, 'config.capnp');
  writeFileSync(path, config);
  return path;
}

/** The origins (`scheme://host[:port]`) of the routes with preserveHost, from ROUTES as given (JSON text or object). */
export function preserveHostOrigins(routes: unknown): string[] {
  let config = routes;
  try {
    if (typeof routes === 'string') config = JSON.parse(routes);
  } catch {
    return [];
  }
  const entries = (config as { routes?: unknown } | null)?.routes;
  if (!Array.isArray(entries)) return [];
  const origins = new Set<string>();
  for (const entry of entries as { preserveHost?: unknown; origin?: unknown; origins?: unknown }[]) {
    if (entry?.preserveHost !== true) continue;
    const listed = Array.isArray(entry.origins) ? entry.origins : [entry.origin];
    for (const item of listed) {
      const text = typeof item === 'string' ? item : (item as { url?: unknown } | null)?.url;
      if (typeof text === 'string' && /^https?:\/\//i.test(text) && URL.canParse(text)) origins.add(new URL(text).origin);
    }
  }
  return [...origins];
}

/** The Worker behind the Cache API (scripts/cache-service.js), holding up to maxBytes. */
function cacheWorker(dir: string, maxBytes = DEFAULT_CACHE_BYTES): string {
  return `(
      modules = [ (name = "cache-service.js", esModule = embed ${JSON.stringify(relative(dir, join(ROOT, 'scripts/cache-service.js')))}) ],
      compatibilityDate = ${JSON.stringify(compatibility().date)},
      bindings = [ (name = "MAX_BYTES", json = "${Math.floor(maxBytes)}") ],
    )`;
}

/** Deletes a config's folder (workerd reads it only at start-up). */
export function discardConfig(config: string): void {
  rmSync(dirname(config), { recursive: true, force: true });
}

export interface RunningWorkerd {
  port: number;
  url: string;
  process: ChildProcess;
  /** what the Worker printed to stdout so far (console.log: the access log), when captured */
  stdout(): string;
  stop(): Promise<void>;
}

/**
 * Starts workerd and resolves once its socket listens (reported on the control fd). Its stdout
 * (the Worker's console.log: one access log line per request) is kept for `stdout()` and
 * echoed only with SWITCHYARD_WORKERD_LOG set, unless `stdout` says 'inherit' or 'ignore'.
 */
export function startWorkerd(options: WorkerdOptions, extraArgs: string[] = [], stdout: Stdout = 'capture'): Promise<RunningWorkerd> {
  return runWorkerd(workerdConfig(options), extraArgs, stdout);
}

type Stdout = 'inherit' | 'capture' | 'ignore';

/**
 * A config for the cache service alone, on its own socket: a store that gateways in other
 * workerd processes reach through `cacheStore` (the tests share one between deployments).
 */
export function cacheStoreConfig(maxBytes = DEFAULT_CACHE_BYTES): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-workerd-'));
  const config = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "cache", worker = ${cacheWorker(dir, maxBytes)}) ],
  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "cache") ],
);
`;
  writeFileSync(join(dir, 'config.capnp'), config);
  return join(dir, 'config.capnp');
}

/** Runs workerd on a config written by workerdConfig or cacheStoreConfig, deleting it when workerd exits. */
export function runWorkerd(config: string, extraArgs: string[] = [], stdout: Stdout = 'capture'): Promise<RunningWorkerd> {
  const child = spawn(join(BIN, 'workerd'), ['serve', config, '--control-fd=3', ...extraArgs], {
    stdio: ['ignore', stdout === 'capture' ? 'pipe' : stdout, 'pipe', 'pipe'],
  });
  child.once('exit', () => discardConfig(config));
  let printed = '';
  child.stdout?.on('data', (chunk) => {
    printed += chunk;
    if (process.env.SWITCHYARD_WORKERD_LOG) process.stdout.write(chunk);
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
    if (process.env.SWITCHYARD_WORKERD_LOG) process.stderr.write(chunk);
  });
  return new Promise((resolvePromise, reject) => {
    let buffered = '';
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk) => {
      buffered += chunk;
      for (const line of buffered.split('\n').slice(0, -1)) {
        const event = JSON.parse(line) as { event: string; socket?: string; port?: number };
        if (event.event === 'listen' && event.socket === 'http') {
          const port = event.port!;
          resolvePromise({
            port,
            url: `http://127.0.0.1:${port}`,
            process: child,
            stdout: () => printed,
            stop: () =>
              new Promise((done) => {
                if (child.exitCode !== null) return done();
                child.once('exit', () => done());
                child.kill('SIGTERM');
              }),
          });
        }
      }
      buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
    });
    child.once('exit', (code) => reject(new Error(`workerd exited (${code}) before listening:\n${stderr}`)));
  });
}

/** A port free right now on 127.0.0.1 (nothing listens on it once this resolves). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolvePort(port));
    });
  });
}

/** esbuild options that bundle a module for workerd the way wrangler does. */
export const WORKERD_BUNDLE: BuildOptions = {
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  conditions: ['workerd', 'worker', 'browser'],
  mainFields: ['module', 'main'],
  external: ['cloudflare:*', 'node:*'],
  // WebAssembly stays a file beside the bundle, imported as a module (wrangler's CompiledWasm).
  loader: { '.wasm': 'copy' },
  logLevel: 'warning',
};
