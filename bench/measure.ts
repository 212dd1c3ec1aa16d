// The bench's instruments: wrk for throughput and latency, /proc for the server's CPU time
// and memory, curl for the big download, and a sequential client for unloaded latency.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';

export const hasCommand = (name: string) => spawnSync(name, ['--version'], { stdio: 'ignore' }).error === undefined;

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** CPU time (user + system) the processes have used so far, in µs. */
export function cpuMicros(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone: its time is lost, which only makes the figure conservative
    }
  }
  return (ticks * 1e6) / CLOCK_TICKS;
}

/**
 * The machine's CPU time so far, in ticks, and how much of it the hypervisor gave to other
 * guests (`steal`, /proc/stat): on a shared VM that share decides how far runs minutes
 * apart can be compared. Null where /proc/stat is missing.
 */
export function machineCpu(): { total: number; steal: number } | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already inside user)
    const counted = fields.slice(0, 8);
    return { total: counted.reduce((sum, ticks) => sum + ticks, 0), steal: counted[7] ?? 0 };
  } catch {
    return null;
  }
}

/** Resident memory of the processes, in bytes. */
export function rssBytes(pids: readonly number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return kb * 1024;
}

export interface LoadResult {
  rps: number;
  /** latency percentiles, ms */
  p50: number;
  p99: number;
  /** server CPU per request, µs (null when the server's processes are unknown) */
  cpuPerRequest: number | null;
  requests: number;
  /** non-2xx answers and socket errors: a run with errors measures the wrong thing */
  errors: number;
}

export interface LoadOptions {
  seconds: number;
  connections: number;
  threads: number;
}

export async function wrk(url: string, pids: readonly number[], options: LoadOptions): Promise<LoadResult> {
  const before = cpuMicros(pids);
  const output = await run('wrk', [`-t${options.threads}`, `-c${options.connections}`, `-d${options.seconds}s`, '--latency', url]);
  const cpu = cpuMicros(pids) - before;
  const number = (pattern: RegExp) => Number(pattern.exec(output)?.[1] ?? NaN);
  const requests = number(/(\d+) requests in/);
  const non2xx = number(/Non-2xx or 3xx responses: (\d+)/) || 0;
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  return {
    rps: number(/Requests\/sec:\s+([\d.]+)/),
    p50: latencyMs(/50%\s+([\d.]+\w+)/.exec(output)?.[1]),
    p99: latencyMs(/99%\s+([\d.]+\w+)/.exec(output)?.[1]),
    cpuPerRequest: pids.length && requests ? cpu / requests : null,
    requests,
    errors: non2xx + socketErrors,
  };
}

function latencyMs(text: string | undefined): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text ?? '');
  if (!match) return NaN;
  const scale = { us: 1e-3, ms: 1, s: 1e3, m: 60e3 }[match[2] as 'us' | 'ms' | 's' | 'm'];
  return Number(match[1]) * scale;
}

export interface StreamResult {
  mbPerSecond: number;
  /** time to first byte, ms */
  ttfb: number;
  bytes: number;
  /** peak resident memory growth of the server during the download, bytes */
  rssGrowth: number | null;
}

/** Downloads `url` with curl (to /dev/null) while sampling the server's memory. */
export async function download(url: string, pids: readonly number[]): Promise<StreamResult> {
  const baseline = rssBytes(pids);
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(pids))), 20);
  try {
    const output = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{time_starttransfer} %{size_download} %{time_total} %{http_code}', url]);
    const [ttfb, size, total, status] = output.trim().split(' ').map(Number) as [number, number, number, number];
    if (status !== 200) throw new Error(`${url} answered ${status}`);
    return { mbPerSecond: size / 1e6 / total, ttfb: ttfb * 1000, bytes: size, rssGrowth: pids.length ? peak - baseline : null };
  } finally {
    clearInterval(sampler);
  }
}

/**
 * Median time to response headers of `count` sequential requests to each URL, one
 * kept-alive connection each, ms. The URLs take turns request by request, so a machine
 * that slows down for a while slows them all alike; the first tenth warms up.
 */
export async function unloadedTtfbs(urls: string[], count: number): Promise<number[]> {
  const agents = urls.map(() => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  const times: number[][] = urls.map(() => []);
  try {
    for (let i = 0; i < count; i++) {
      for (const [at, url] of urls.entries()) times[at]!.push(await timeToHeaders(url, agents[at]!));
    }
  } finally {
    for (const agent of agents) agent.destroy();
  }
  return times.map((series) => median(series.slice(Math.floor(count / 10))));
}

function timeToHeaders(url: string, agent: http.Agent): Promise<number> {
  const start = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        res.resume();
        res.on('end', () => resolve(ms));
      })
      .on('error', reject);
  });
}

export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (!sorted.length) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')} failed (${code}): ${err}`))));
  });
}
