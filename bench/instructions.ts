// `npm run bench:instructions`: CPU instructions per request, counted by valgrind
// (callgrind) in workerd itself, for the Workers the req/s ratios compare. Counting is
// deterministic where wall-clock time is not: on a shared VM one build's req/s moves from
// run to run far more than its count does. It prices user-space work
// only (not the kernel's share of a request), so its ratios are a little lower than req/s
// ones. Needs valgrind (apt-get install -y valgrind); takes a few minutes.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build as esbuild } from 'esbuild';
import { build, discardConfig, freePort, ROOT, WORKERD_BUNDLE, workerdConfig } from '../scripts/workerd.ts';
import { hasCommand } from './measure.ts';
import { forkOrigin, PATHS, writeOriginFiles } from './origin.ts';

const { values: args } = parseArgs({
  options: {
    warmup: { type: 'string', default: '300' },
    requests: { type: 'string', default: '500' },
    /** only the runs whose case or Worker name holds this text */
    only: { type: 'string' },
  },
});
const warmup = Number(args.warmup);
const requests = Number(args.requests);
const log = (line: string) => console.error(`[instructions] ${line}`);

// The ELF binary: valgrind cannot follow node_modules/.bin's launcher.
const WORKERD = join(ROOT, 'node_modules/@cloudflare/workerd-linux-64/bin/workerd');

interface Measured {
  case: string;
  worker: string;
  instructions: number;
}

async function main(): Promise<void> {
  if (!hasCommand('valgrind') || !hasCommand('callgrind_control')) throw new Error('valgrind is not installed (apt-get install -y valgrind)');
  if (!existsSync(WORKERD)) throw new Error(`no workerd binary at ${WORKERD} (linux-x64 only)`);
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-instructions-'));
  let origin: Awaited<ReturnType<typeof forkOrigin>> | undefined;
  try {
    const port = await freePort();
    const originUrl = `http://127.0.0.1:${port}`;
    const root = join(dir, 'www');
    mkdirSync(root);
    writeOriginFiles(root, originUrl);
    origin = await forkOrigin(root, port);

    log('building the gateway and the baselines');
    const switchyard = build(join(dir, 'build'));
    const bundle = async (entry: string) => {
      const outfile = join(dir, entry.replace(/\W+/g, '-'), 'index.js');
      await esbuild({ ...WORKERD_BUNDLE, entryPoints: [join(ROOT, entry)], outfile });
      return outfile;
    };
    const hono = await bundle('bench/bare-hono-worker.ts');
    const floor = await bundle('bench/forwarding-floor-worker.ts');
    // The same routes as npm run bench.
    const routes = {
      routes: [
        { path: '/site', origin: originUrl, rewriteLinks: true },
        { path: '/cached', origin: originUrl, rewriteLinks: false, cache: { ttl: 3600 } },
        { path: '/site-cached', origin: originUrl, cache: { ttl: 3600 } },
        { path: '/', origin: originUrl, rewriteLinks: false },
      ],
    };
    const fromBrowser = '1 KB JSON, a browser’s 13 headers';
    const runs: [string, string, string, Record<string, unknown>, string][] = [
      ['1 KB JSON', 'bare Hono Worker', hono, { ORIGIN: originUrl }, PATHS.json],
      ['1 KB JSON', 'forwarding floor', floor, { ORIGIN: originUrl }, PATHS.json],
      ['1 KB JSON', 'switchyard', switchyard, { ROUTES: routes }, PATHS.json],
      // All of a hit's work is in workerd (the cache's store runs there too); a pass-through's origin is not counted.
      ['1 KB JSON', 'switchyard, cache hit', switchyard, { ROUTES: routes }, `/cached${PATHS.json}`],
      // What the access log and Server-Timing cost on the same route (ids are always on).
      ['1 KB JSON', 'switchyard, "log": "none"', switchyard, { ROUTES: { ...routes, log: 'none' } }, PATHS.json],
      ['1 KB JSON', 'switchyard, "log": "none", "serverTiming": false', switchyard, { ROUTES: { ...routes, log: 'none', serverTiming: false } }, PATHS.json],
      [fromBrowser, 'bare Hono Worker', hono, { ORIGIN: originUrl }, PATHS.json],
      [fromBrowser, 'forwarding floor', floor, { ORIGIN: originUrl }, PATHS.json],
      [fromBrowser, 'switchyard', switchyard, { ROUTES: routes }, PATHS.json],
      ['~110 KB page, 2,000 links', 'bare Worker (piped through JS)', join(ROOT, 'bench/bare-worker.js'), { ORIGIN: originUrl }, `/site${PATHS.links}`],
      ['~110 KB page, 2,000 links', 'switchyard (rewritten)', switchyard, { ROUTES: routes }, `/site${PATHS.links}`],
      ['~110 KB page, 2,000 links', 'switchyard (rewritten), cache hit', switchyard, { ROUTES: routes }, `/site-cached${PATHS.links}`],
    ];
    const results: Measured[] = [];
    for (const [name, worker, script, bindings, path] of runs) {
      if (args.only && !`${name} ${worker}`.includes(args.only)) continue;
      const instructions = await count(dir, script, bindings, path, name === fromBrowser ? BROWSER_HEADERS : {});
      log(`${name}, ${worker}: ${Math.round(instructions).toLocaleString('en')} instructions/request`);
      results.push({ case: name, worker, instructions });
    }
    const report = markdown(results);
    console.log(report);
    // A subset is for a quick look: the recorded results stay whole.
    if (args.only) return;
    writeFileSync(join(ROOT, 'bench/results/instructions.md'), report);
    writeFileSync(join(ROOT, 'bench/results/instructions.json'), JSON.stringify({ date: new Date().toISOString(), warmup, requests, results }, null, 2) + '\n');
  } finally {
    await origin?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Instructions per request of workerd serving `script`, after `warmup` requests (the JIT's tiers settle). */
async function count(dir: string, script: string, bindings: Record<string, unknown>, path: string, headers: Record<string, string>): Promise<number> {
  const port = await freePort();
  const config = workerdConfig({ script, address: `127.0.0.1:${port}`, bindings });
  const out = mkdtempSync(join(dir, 'callgrind-'));
  // --smc-check: V8 writes and patches machine code at run time.
  const child = spawn('valgrind', ['--tool=callgrind', '--smc-check=all-non-file', `--callgrind-out-file=${join(out, 'cg.%p')}`, WORKERD, 'serve', config], {
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  try {
    const url = `http://127.0.0.1:${port}${path}`;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    await waitForListening(url, agent);
    await sequential(url, agent, warmup, headers);
    callgrind(['-z', String(child.pid)]);
    await sequential(url, agent, requests, headers);
    callgrind(['-d', String(child.pid)]);
    agent.destroy();
    const dump = readdirSync(out).find((file) => file.startsWith(`cg.${child.pid}.`));
    const totals = dump && /^(?:summary|totals): (\d+)/m.exec(readFileSync(join(out, dump), 'utf8'));
    if (!totals) throw new Error('callgrind wrote no counts');
    return Number(totals[1]) / requests;
  } finally {
    child.kill();
    discardConfig(config);
  }
}

function callgrind(args: string[]): void {
  const result = spawnSync('callgrind_control', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`callgrind_control ${args.join(' ')} failed: ${result.stderr}`);
}

async function waitForListening(url: string, agent: http.Agent): Promise<void> {
  // Under valgrind workerd takes tens of seconds to start.
  for (let tries = 0; tries < 240; tries++) {
    try {
      const status = await get(url, agent);
      if (status === 200) return;
      throw new Error(`${url} answered ${status}`);
    } catch (error) {
      if (!(error as NodeJS.ErrnoException).code) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  throw new Error(`workerd did not listen on ${url}`);
}

async function sequential(url: string, agent: http.Agent, n: number, headers: Record<string, string>): Promise<void> {
  for (let i = 0; i < n; i++) {
    const status = await get(url, agent, headers);
    if (status !== 200) throw new Error(`${url} answered ${status}`);
  }
}

/**
 * Headers of the kind Chromium adds to a script's fetch (13 of them): every request header
 * costs each Worker (parsed, copied, sent on), the gateway more than the baselines (it reads
 * them all to drop hop-by-hop and client-claimed forwarding ones).
 */
const BROWSER_HEADERS: Record<string, string> = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36',
  accept: 'application/json, text/plain, */*',
  'accept-language': 'en-GB,en;q=0.9',
  'accept-encoding': 'gzip, deflate, br, zstd',
  referer: 'http://127.0.0.1/app/',
  origin: 'http://127.0.0.1',
  'sec-fetch-dest': 'empty',
  'sec-fetch-mode': 'cors',
  'sec-fetch-site': 'same-origin',
  'sec-ch-ua': '"Chromium";v="142", "Not_A Brand";v="99"',
  'sec-ch-ua-mobile': '?0',
  'sec-ch-ua-platform': '"Linux"',
  cookie: 'session=abc123; theme=dark',
};

/** One GET with Host (as wrk sends) and `headers`, body read and dropped. */
function get(url: string, agent: http.Agent, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent, headers }, (response) => {
        response.resume();
        response.once('end', () => resolve(response.statusCode!));
      })
      .once('error', reject);
  });
}

function markdown(results: Measured[]): string {
  const lines = [
    `Instructions per request (callgrind, user space, all workerd threads), after ${warmup} requests, averaged over ${requests}; ${new Date().toISOString()}.`,
    '',
    '| case | Worker | instructions/request | ÷ first of its case |',
    '|---|---|---|---|',
  ];
  const first = new Map<string, number>();
  for (const result of results) {
    if (!first.has(result.case)) first.set(result.case, result.instructions);
    const ratio = first.get(result.case)! / result.instructions;
    lines.push(`| ${result.case} | ${result.worker} | ${Math.round(result.instructions).toLocaleString('en')} | ${ratio.toFixed(2)}× |`);
  }
  return lines.join('\n') + '\n';
}

await main();
