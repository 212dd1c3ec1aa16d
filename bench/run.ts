// `npm run bench`: switchyard side by side with the origin itself, nginx and a bare Worker,
// all on 127.0.0.1, in interleaved runs (so a noisy neighbour hits every column alike),
// reporting medians. Not part of `npm test`: it takes minutes and asserts nothing.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build as esbuild } from 'esbuild';
import { serve, type Served } from '../scripts/serve.ts';
import { build, freePort, ROOT, WORKERD_BUNDLE } from '../scripts/workerd.ts';
import { download, hasCommand, machineCpu, median, unloadedTtfbs, wrk, type LoadResult, type StreamResult } from './measure.ts';
import { nginxBinary, originConfig, proxyConfig, startNginx, SUBSTITUTION, type Nginx } from './nginx.ts';
import { forkOrigin, PATHS, writeOriginFiles } from './origin.ts';
import { countOccurrences } from './pages.ts';
import { markdown, TARGET_NAMES, type Results, type Spread, type Target } from './report.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    reps: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    processes: { type: 'string' },
    /** measure without nginx even when it is installed (the origin is then a Node server) */
    'no-nginx': { type: 'boolean', default: false },
    /** comma-separated subset of json,html,links,subst,json-hit,links-hit,pool,pooldown,stream,ttfb */
    cases: { type: 'string', default: 'json,html,links,subst,json-hit,links-hit,pool,pooldown,stream,ttfb' },
  },
});
const seconds = Number(args.seconds);
const reps = Number(args.reps);
const connections = Number(args.connections);
const processes = args.processes ? Number(args.processes) : availableParallelism();
const cases = new Set(args.cases.split(','));

const log = (line: string) => console.error(`[bench] ${line}`);

interface Server {
  base: string;
  pids(): number[];
  stop(): Promise<void>;
}

async function main(): Promise<void> {
  const notes: string[] = [];
  const checks: Record<string, string> = {};
  const haveWrk = hasCommand('wrk');
  const haveCurl = hasCommand('curl');
  const nginx = args['no-nginx'] ? null : nginxBinary();
  if (!haveWrk) notes.push('wrk is not installed (apt-get install -y wrk): no req/s, latency or CPU figures');
  if (!nginx) notes.push(`${args['no-nginx'] ? 'nginx left out (--no-nginx)' : 'nginx is not installed (apt-get install -y nginx)'}: no nginx column, and the origin is a Node server`);
  if (!haveCurl) notes.push('curl is not installed: no stream figures');
  for (const note of notes) log(note);

  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  const servers: Server[] = [];
  try {
    const originPort = await freePort();
    const origin = `http://127.0.0.1:${originPort}`;
    const root = join(dir, 'www');
    mkdirSync(root);
    writeOriginFiles(root, origin);

    log(`origin on ${origin} (${nginx ? 'nginx, static files' : 'Node'})`);
    const direct = nginx ? await nginxServer(nginx, join(dir, 'nginx-origin'), originConfig(join(dir, 'nginx-origin'), root, originPort), originPort) : await forkOrigin(root, originPort);
    servers.push(direct);
    // Origin pools: a second origin serving the same files, and a port nothing listens on.
    const origin2Port = await freePort();
    const origin2 = `http://127.0.0.1:${origin2Port}`;
    const second = nginx ? await nginxServer(nginx, join(dir, 'nginx-origin2'), originConfig(join(dir, 'nginx-origin2'), root, origin2Port), origin2Port) : await forkOrigin(root, origin2Port);
    servers.push(second);
    const downOrigin = `http://127.0.0.1:${await freePort()}`;

    log('building the gateway as wrangler deploy would');
    const bundle = build(join(dir, 'build'));
    const bundleBytes = readFileSync(bundle);
    // The WebAssembly modules wrangler writes beside the script ship with it.
    const wasmBytes = readdirSync(dirname(bundle))
      .filter((file) => file.endsWith('.wasm'))
      .map((file) => readFileSync(join(dirname(bundle), file)));

    const routes = {
      routes: [
        { path: '/site', origin, rewriteLinks: true },
        { path: '/subst', origin, substitutions: [SUBSTITUTION] },
        // Cache hits: the origin (nginx with etag off, no Cache-Control) gives no freshness, so the ttl does.
        { path: '/cached', origin, rewriteLinks: false, cache: { ttl: 3600 } },
        { path: '/site-cached', origin, cache: { ttl: 3600 } },
        { path: '/pool', origins: [origin, origin2], balance: 'round_robin', rewriteLinks: false },
        { path: '/pool-down', origins: [origin, downOrigin], balance: 'round_robin', retry: {}, health: {}, rewriteLinks: false },
        { path: '/', origin, rewriteLinks: false },
      ],
    };
    // The access log is on ("log": "all" by default): workerd writes every line, to /dev/null
    // here. The same gateway with "log": "none" beside it prices the log in the same run.
    const switchyard = served(await serve({ port: 0, processes, bundle, bindings: { ROUTES: routes }, logFormat: 'discard' }));
    servers.push(switchyard);
    const quiet = served(await serve({ port: 0, processes, bundle, bindings: { ROUTES: { ...routes, log: 'none' } }, logFormat: 'discard' }));
    servers.push(quiet);
    const bare = served(await serve({ port: 0, processes, bundle: join(ROOT, 'bench/bare-worker.js'), bindings: { ORIGIN: origin } }));
    servers.push(bare);
    const honoBundle = join(dir, 'hono', 'index.js');
    await esbuild({ ...WORKERD_BUNDLE, entryPoints: [join(ROOT, 'bench/bare-hono-worker.ts')], outfile: honoBundle });
    const hono = served(await serve({ port: 0, processes, bundle: honoBundle, bindings: { ORIGIN: origin } }));
    servers.push(hono);
    // The same gateway with the HTMLRewriter link rewriter (the reference the fast one is
    // tested against), to show in one run what the fast one gains.
    const referenceBundle = await buildWithReferenceRewriter(join(dir, 'reference'));
    const reference = served(await serve({ port: 0, processes, bundle: referenceBundle, bindings: { ROUTES: routes } }));
    servers.push(reference);
    let proxy: Server | undefined;
    if (nginx) {
      const port = await freePort();
      proxy = await nginxServer(nginx, join(dir, 'nginx-proxy'), proxyConfig(join(dir, 'nginx-proxy'), origin, port), port);
      servers.push(proxy);
    }
    const targets: Partial<Record<Target, Server>> = { direct, nginx: proxy, bare, hono, switchyard, quiet, reference };

    const urls: Record<string, Partial<Record<Target, string>>> = {
      json: { direct: PATHS.json, nginx: PATHS.json, bare: PATHS.json, hono: PATHS.json, switchyard: PATHS.json, quiet: PATHS.json },
      html: { direct: PATHS.html, nginx: PATHS.html, bare: PATHS.html, hono: PATHS.html, switchyard: PATHS.html },
      links: { nginx: `/site${PATHS.links}`, bare: `/site${PATHS.links}`, switchyard: `/site${PATHS.links}`, reference: `/site${PATHS.links}` },
      subst: { nginx: `/subst${PATHS.html}`, bare: `/subst${PATHS.html}`, switchyard: `/subst${PATHS.html}` },
      // nginx proxy_cache (and sub_filter, which it runs on every hit) against switchyard's cache.
      'json-hit': { nginx: `/cached${PATHS.json}`, switchyard: `/cached${PATHS.json}` },
      'links-hit': { nginx: `/site-cached${PATHS.links}`, switchyard: `/site-cached${PATHS.links}` },
      pool: { switchyard: `/pool${PATHS.json}` },
      pooldown: { switchyard: `/pool-down${PATHS.json}` },
    };
    // First, while no process has ejected the down origin yet: every GET is retried on the other.
    if (cases.has('pooldown')) await checkBeforeEjection(switchyard.base + `/pool-down${PATHS.json}`, checks);
    await checkOutputs(targets, urls, origin, checks);

    const loadRuns: Record<string, Partial<Record<Target, LoadResult[]>>> = {};
    const streamRuns: Partial<Record<Target, StreamResult[]>> = {};
    const ttfbRuns: Partial<Record<Target, number[]>> = {};
    const active = (Object.keys(targets) as Target[]).filter((t) => targets[t]);

    const cpuBefore = machineCpu();
    for (let rep = 1; rep <= reps; rep++) {
      if (haveWrk) {
        for (const [key, byTarget] of Object.entries(urls)) {
          if (!cases.has(key)) continue;
          for (const target of active) {
            const path = byTarget[target];
            if (!path) continue;
            const server = targets[target]!;
            const result = await wrk(server.base + path, server.pids(), { seconds, connections, threads: 2 });
            ((loadRuns[key] ??= {})[target] ??= []).push(result);
            log(`run ${rep}/${reps} ${key} ${target}: ${Math.round(result.rps)} req/s, p99 ${result.p99.toFixed(2)} ms, ${Math.round(result.cpuPerRequest ?? NaN)} µs CPU/req${result.errors ? `, ${result.errors} ERRORS` : ''}`);
          }
        }
      }
      if (haveCurl && cases.has('stream')) {
        for (const target of active) {
          if (target === 'reference' || target === 'quiet') continue;
          const server = targets[target]!;
          // The origin's own memory says nothing about a proxy: only proxies get RSS figures.
          const result = await download(server.base + PATHS.stream, target === 'direct' ? [] : server.pids());
          (streamRuns[target] ??= []).push(result);
          log(`run ${rep}/${reps} stream ${target}: ${Math.round(result.mbPerSecond)} MB/s, TTFB ${result.ttfb.toFixed(2)} ms, RSS +${((result.rssGrowth ?? 0) / 2 ** 20).toFixed(1)} MB`);
        }
      }
      if (cases.has('ttfb')) {
        const timed = active.filter((t) => t !== 'reference' && t !== 'quiet');
        const values = await unloadedTtfbs(timed.map((target) => targets[target]!.base + PATHS.json), 400);
        for (const [at, target] of timed.entries()) (ttfbRuns[target] ??= []).push(values[at]!);
        log(`run ${rep}/${reps} unloaded TTFB: ${timed.map((t) => `${t} ${ttfbRuns[t]!.at(-1)!.toFixed(3)} ms`).join(', ')}`);
      }
    }

    const cpuAfter = machineCpu();
    const results: Results = {
      date: new Date().toISOString(),
      environment: {
        machine: `${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the end`,
        reps,
        load: `wrk -t2 -c${connections} -d${seconds}s, keep-alive`,
        'workerd processes': processes,
        ...(cpuBefore && cpuAfter && { 'CPU time taken by the host (steal) during the runs': stolenShare(cpuBefore, cpuAfter) }),
        workerd: versionOf(join(ROOT, 'node_modules/.bin/workerd'), ['--version']),
        nginx: nginx ? versionOf(nginx, ['-v']) : 'not used',
        'bundle size': `${kb(bundleBytes.length)} (${kb(gzipSync(bundleBytes).length)} gzip)${wasmBytes.map((bytes) => ` + ${kb(bytes.length)} WebAssembly (${kb(gzipSync(bytes).length)} gzip)`).join('')}`,
      },
      notes,
      load: mapValues(loadRuns, (byTarget) => mapValues(byTarget, medianLoad)),
      stream: mapValues(streamRuns, medianStream),
      ttfb: mapValues(ttfbRuns, median),
      spread: {
        ...mapValues(loadRuns, (byTarget) => perRunSpread(mapValues(byTarget, (runs) => runs.map((r) => r.rps)))),
        stream: perRunSpread(mapValues(streamRuns, (runs) => runs.map((r) => r.mbPerSecond))),
        ttfb: perRunSpread(ttfbRuns, (ours, theirs) => ours - theirs),
      },
      checks,
    };
    const md = markdown(results);
    const out = join(ROOT, 'bench/results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(join(out, 'latest.md'), md);
    console.log(md);
    log('written to bench/results/latest.json and bench/results/latest.md');
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Every target answers; on the rewriting cases the rewriters leave nothing undone and agree
 * byte for byte with nginx, and the bare Worker (the ceiling) hands the page on unchanged.
 */
async function checkOutputs(
  targets: Partial<Record<Target, Server>>,
  urls: Record<string, Partial<Record<Target, string>>>,
  origin: string,
  checks: Record<string, string>,
): Promise<void> {
  const bodies: Record<string, Partial<Record<Target, string>>> = {};
  for (const [key, byTarget] of Object.entries(urls)) {
    for (const [target, path] of Object.entries(byTarget) as [Target, string][]) {
      const server = targets[target];
      if (!server) continue;
      const res = await fetch(server.base + path);
      const text = await res.text();
      if (res.status !== 200) throw new Error(`${TARGET_NAMES[target]} answered ${res.status} for ${path}: ${text.slice(0, 300)}`);
      (bodies[key] ??= {})[target] = text;
    }
  }
  const links = { page: PATHS.links, done: (text: string) => `${countOccurrences(text, '"/site/')} links rewritten, ${countOccurrences(text, origin)} origin URLs left` };
  const rewriting = {
    links,
    'links-hit': links,
    subst: { page: PATHS.html, done: (text: string) => `${countOccurrences(text, SUBSTITUTION.replace)} substituted, ${countOccurrences(text, SUBSTITUTION.match)} left` },
  };
  for (const [key, { page, done }] of Object.entries(rewriting)) {
    const byTarget = bodies[key];
    if (!byTarget) continue;
    for (const [target, text] of Object.entries(byTarget) as [Target, string][]) {
      if (target !== 'bare') checks[`${key}, ${TARGET_NAMES[target]}`] = done(text);
    }
    if (byTarget.bare !== undefined) {
      const original = await (await fetch(targets.direct!.base + page)).text();
      checks[`${key}, bare Worker piping the page through JS`] = byTarget.bare === original ? "identical to the origin's page" : 'DIFFERENT';
    }
    if (byTarget.nginx !== undefined && byTarget.switchyard !== undefined) {
      checks[`${key}, switchyard output = nginx sub_filter output`] = byTarget.nginx === byTarget.switchyard ? 'identical' : 'DIFFERENT';
    }
  }
  for (const [name, value] of Object.entries(checks)) log(`check ${name}: ${value}`);
}

/** GETs to a pool with one of its two origins down, before ejection: how many the client saw fail. */
async function checkBeforeEjection(url: string, checks: Record<string, string>): Promise<void> {
  const statuses = await Promise.all(Array.from({ length: 64 }, () => fetch(url).then(async (res) => (await res.arrayBuffer(), res.status), () => 0)));
  const failed = statuses.filter((status) => status !== 200).length;
  checks['pool with one of two origins down, 64 concurrent GETs before ejection'] = failed ? `${failed} FAILED` : 'all answered 200';
  log(`check pool before ejection: ${checks['pool with one of two origins down, 64 concurrent GETs before ejection']}`);
}

/** The gateway bundle with no fast rewriter for body.ts, so every page goes to the HTMLRewriter one (html.ts). */
async function buildWithReferenceRewriter(outDir: string): Promise<string> {
  const outfile = join(outDir, 'index.js');
  await esbuild({
    ...WORKERD_BUNDLE,
    entryPoints: [join(ROOT, 'src/index.ts')],
    outfile,
    plugins: [
      {
        name: 'reference-rewriter',
        setup(builder) {
          builder.onResolve({ filter: /^\.\/fast-html\.ts$/ }, (args) => (args.importer.endsWith('body.ts') ? { path: 'fast-html', namespace: 'none' } : undefined));
          builder.onLoad({ filter: /.*/, namespace: 'none' }, () => ({ contents: 'export const linkStep = () => null;', loader: 'js' }));
        },
      },
    ],
  });
  if (readFileSync(outfile, 'utf8').includes('class LinkRewriter')) throw new Error('the reference bundle still holds the fast rewriter');
  return outfile;
}

function served(running: Served): Server {
  return { base: running.url, pids: running.pids, stop: running.stop };
}

async function nginxServer(binary: string, dir: string, config: string, port: number): Promise<Server> {
  const instance: Nginx = await startNginx(binary, dir, config, port);
  return { base: `http://127.0.0.1:${port}`, pids: instance.pids, stop: instance.stop };
}

function medianLoad(runs: LoadResult[]): LoadResult {
  return {
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    cpuPerRequest: runs.some((r) => r.cpuPerRequest === null) ? null : median(runs.map((r) => r.cpuPerRequest!)),
    requests: runs.reduce((sum, r) => sum + r.requests, 0),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
  };
}

function medianStream(runs: StreamResult[]): StreamResult {
  return {
    mbPerSecond: median(runs.map((r) => r.mbPerSecond)),
    ttfb: median(runs.map((r) => r.ttfb)),
    bytes: runs[0]!.bytes,
    rssGrowth: runs.some((r) => r.rssGrowth === null) ? null : Math.max(...runs.map((r) => r.rssGrowth!)),
  };
}

/**
 * switchyard ÷ each baseline (or `compare`'s other measure) rep by rep, lowest and highest.
 * A rep measures every target within a minute or two, so its ratio is steadier than the
 * run's absolute numbers.
 */
function perRunSpread(values: Partial<Record<string, number[]>>, compare = (ours: number, theirs: number) => ours / theirs): Spread {
  const ours = values.switchyard;
  const spread: Spread = {};
  for (const baseline of ['hono', 'bare', 'nginx', 'quiet'] as const) {
    const theirs = values[baseline];
    if (!ours || !theirs || theirs.length !== ours.length) continue;
    const ratios = ours.map((value, rep) => compare(value, theirs[rep]!));
    spread[baseline] = [Math.min(...ratios), Math.max(...ratios)];
  }
  return spread;
}

function mapValues<T, U>(record: Partial<Record<string, T>>, fn: (value: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).flatMap(([key, value]) => (value === undefined ? [] : [[key, fn(value)]])));
}

function stolenShare(before: { total: number; steal: number }, after: { total: number; steal: number }): string {
  const total = after.total - before.total;
  return total > 0 ? `${((100 * (after.steal - before.steal)) / total).toFixed(1)}% of the machine's CPU time` : 'unknown';
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

function versionOf(binary: string, versionArgs: string[]): string {
  const result = spawnSync(binary, versionArgs, { encoding: 'utf8' });
  return `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n')[0] || 'unknown';
}

main().catch((error: Error) => {
  console.error(`bench: ${error.stack ?? error.message}`);
  process.exit(1);
});
