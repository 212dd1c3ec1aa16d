// Turns the bench's medians into the tables docs/performance.md quotes (Markdown) and a JSON record.
import type { LoadResult, StreamResult } from './measure.ts';

export type Target = 'direct' | 'nginx' | 'bare' | 'hono' | 'switchyard' | 'quiet' | 'reference';
export const TARGET_NAMES: Record<Target, string> = {
  direct: 'direct (origin)',
  nginx: 'nginx proxy',
  bare: 'bare Worker',
  hono: 'bare Hono Worker',
  switchyard: 'switchyard',
  quiet: 'switchyard, "log": "none"',
  reference: 'switchyard with HTMLRewriter',
};

export interface Results {
  date: string;
  environment: Record<string, string | number>;
  notes: string[];
  /** case → target → median result */
  load: Record<string, Partial<Record<Target, LoadResult>>>;
  stream: Partial<Record<Target, StreamResult>>;
  /** target → median ms */
  ttfb: Partial<Record<Target, number>>;
  /** case (or `stream`) → baseline → [lowest, highest] switchyard ÷ baseline over the reps (`ttfb`: switchyard − baseline, ms) */
  spread: Record<string, Spread>;
  checks: Record<string, string>;
}

export type Spread = Partial<Record<'hono' | 'bare' | 'nginx' | 'quiet', [number, number]>>;

export const LOAD_CASES: Record<string, string> = {
  json: '1 KB JSON',
  html: '100 KB HTML',
  links: '~110 KB page, 2,000 links rewritten',
  subst: '100 KB HTML, ~730 substitutions',
  pool: '1 KB JSON, pool of two origins, round robin',
  pooldown: '1 KB JSON, pool of two, one down (ejected)',
};

/** Cache hits, against nginx proxy_cache and against switchyard's own uncached pass-through of the same page. */
export const CACHE_CASES: Record<string, { label: string; uncached: string }> = {
  'json-hit': { label: '1 KB JSON, cache hit', uncached: 'json' },
  'links-hit': { label: '~110 KB page, 2,000 links rewritten, cache hit', uncached: 'links' },
};

const TARGETS: Target[] = ['direct', 'nginx', 'bare', 'hono', 'switchyard', 'quiet', 'reference'];

const int = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '–' : Math.round(n).toLocaleString('en-US'));
const fixed = (n: number | undefined | null, digits = 2) => (n === undefined || n === null || Number.isNaN(n) ? '–' : n.toFixed(digits));
const ratio = (a: number | undefined, b: number | undefined) => (a && b ? `${(a / b).toFixed(2)}×` : '–');
/** The ratio of medians, then its range over the reps when there were several. */
const ranged = (a: number | undefined, b: number | undefined, range: [number, number] | undefined) =>
  a && b && range && range[0] !== range[1] ? `${ratio(a, b)} (${range[0].toFixed(2)}–${range[1].toFixed(2)})` : ratio(a, b);

export function markdown(results: Results): string {
  const lines: string[] = [];
  const { load, stream, ttfb } = results;
  const { spread } = results;
  lines.push(
    `Median of ${results.environment.reps} interleaved runs, ${results.date}. ${results.environment.machine}. Ratios are of the medians; in brackets, the lowest and highest of the runs' own ratios.`,
    '',
  );
  // The issue's pass-through targets are ratios to a bare Hono Worker; the Worker with no
  // framework shows what Hono itself costs.
  const notes: string[] = [];
  lines.push('| case | direct | nginx | bare Worker | bare Hono Worker | switchyard | switchyard ÷ bare Hono | switchyard ÷ bare | switchyard ÷ nginx |');
  lines.push('|---|---|---|---|---|---|---|---|---|');
  for (const [key, label] of Object.entries(LOAD_CASES)) {
    const row = load[key];
    if (!row) continue;
    const rewriting = key === 'links' || key === 'subst';
    const nginxLabel = rewriting && row.nginx ? `${int(row.nginx.rps)} (sub_filter)` : int(row.nginx?.rps);
    lines.push(
      `| ${label}, req/s | ${int(row.direct?.rps)} | ${nginxLabel} | ${int(row.bare?.rps)} | ${int(row.hono?.rps)} | **${int(row.switchyard?.rps)}** | ${ranged(row.switchyard?.rps, row.hono?.rps, spread[key]?.hono)} | ${ranged(row.switchyard?.rps, row.bare?.rps, spread[key]?.bare)} | ${ranged(row.switchyard?.rps, row.nginx?.rps, spread[key]?.nginx)} |`,
    );
    if (rewriting && row.bare) {
      notes.push(
        `${label}: the bare Worker's ${int(row.bare.rps)} req/s is the page piped through JavaScript unchanged, read as switchyard reads it: the most a streaming rewriter written in JS can reach in workerd (${ratio(row.bare.rps, row.nginx?.rps)} nginx sub_filter); switchyard ÷ bare is its share of that ceiling.`,
      );
    }
    if (row.quiet) {
      lines.push(`| same, access log off ("log": "none"), req/s | – | | – | – | ${int(row.quiet.rps)} | | | |`);
      notes.push(
        `${label}: the access log on (one line per request, "log": "all", written to /dev/null) against off ("log": "none"), same gateway, same run: ${ranged(row.switchyard?.rps, row.quiet.rps, spread[key]?.quiet)} the req/s.`,
      );
    }
    if (row.reference) {
      lines.push(`| same page, links rewritten with HTMLRewriter (before), req/s | – | | – | – | ${int(row.reference.rps)} | | | ${ratio(row.reference.rps, row.nginx?.rps)} |`);
    }
  }
  if (Object.keys(stream).length) {
    lines.push(
      `| 1 GiB stream, MB/s | ${int(stream.direct?.mbPerSecond)} | ${int(stream.nginx?.mbPerSecond)} | ${int(stream.bare?.mbPerSecond)} | ${int(stream.hono?.mbPerSecond)} | **${int(stream.switchyard?.mbPerSecond)}** | ${ranged(stream.switchyard?.mbPerSecond, stream.hono?.mbPerSecond, spread.stream?.hono)} | ${ranged(stream.switchyard?.mbPerSecond, stream.bare?.mbPerSecond, spread.stream?.bare)} | ${ranged(stream.switchyard?.mbPerSecond, stream.nginx?.mbPerSecond, spread.stream?.nginx)} |`,
    );
    const mb = (s: StreamResult | undefined) => (s?.rssGrowth == null ? '–' : `+${fixed(s.rssGrowth / 2 ** 20, 1)} MB`);
    lines.push(`| 1 GiB stream, peak RSS growth | – | ${mb(stream.nginx)} | ${mb(stream.bare)} | ${mb(stream.hono)} | **${mb(stream.switchyard)}** | | | |`);
  }
  if (Object.keys(ttfb).length) {
    const signed = (ms: number, digits = 3) => `${ms >= 0 ? '+' : ''}${fixed(ms, digits)}`;
    const delta = (baseline: number | undefined, range: [number, number] | undefined) =>
      ttfb.switchyard === undefined || baseline === undefined
        ? '–'
        : `${signed(ttfb.switchyard - baseline)} ms${range && range[0] !== range[1] ? ` (${signed(range[0], 2)} to ${signed(range[1], 2)})` : ''}`;
    lines.push(
      `| unloaded 1 KB, time to first byte, ms | ${fixed(ttfb.direct, 3)} | ${fixed(ttfb.nginx, 3)} | ${fixed(ttfb.bare, 3)} | ${fixed(ttfb.hono, 3)} | **${fixed(ttfb.switchyard, 3)}** | ${delta(ttfb.hono, spread.ttfb?.hono)} | ${delta(ttfb.bare, spread.ttfb?.bare)} | |`,
    );
  }

  const single = load.json?.switchyard?.rps;
  const pool = load.pool?.switchyard?.rps;
  const down = load.pooldown?.switchyard?.rps;
  if (pool || down) {
    notes.push(
      `Origin pools: two-origin round robin ÷ one origin ${ratio(pool, single)}; one of the two down, after ejection ÷ the healthy pool ${ratio(down, pool)}${load.pooldown?.switchyard?.errors ? ` (${int(load.pooldown.switchyard.errors)} ERRORS)` : ''}.`,
    );
  }
  if (notes.length) lines.push('', ...notes);

  const cacheRows = Object.entries(CACHE_CASES).filter(([key]) => load[key]);
  if (cacheRows.length) {
    lines.push('', 'Cache hits (nginx: proxy_cache, with sub_filter run on every hit for the rewritten page; switchyard stores the rewritten page):', '');
    lines.push('| case | nginx proxy_cache | switchyard | switchyard ÷ nginx | switchyard uncached | hit ÷ uncached |');
    lines.push('|---|---|---|---|---|---|');
    for (const [key, { label, uncached }] of cacheRows) {
      const row = load[key]!;
      const plain = load[uncached]?.switchyard?.rps;
      lines.push(`| ${label}, req/s | ${int(row.nginx?.rps)} | **${int(row.switchyard?.rps)}** | ${ranged(row.switchyard?.rps, row.nginx?.rps, spread[key]?.nginx)} | ${int(plain)} | ${ratio(row.switchyard?.rps, plain)} |`);
    }
  }

  lines.push('', 'Latency under load (p50 / p99, ms) and server CPU per request (µs, all of its processes):', '');
  lines.push(`| case | ${TARGETS.map((t) => TARGET_NAMES[t]).join(' | ')} |`);
  lines.push(`|---|${TARGETS.map(() => '---').join('|')}|`);
  for (const [key, label] of [...Object.entries(LOAD_CASES), ...Object.entries(CACHE_CASES).map(([key, { label }]) => [key, label] as const)]) {
    const row = load[key];
    if (!row) continue;
    const cell = (r: LoadResult | undefined) =>
      !r ? '–' : r.requests === 0 ? 'no answer within the run' : `${fixed(r.p50)} / ${fixed(r.p99)} ms, ${int(r.cpuPerRequest ?? NaN)} µs`;
    lines.push(`| ${label} | ${TARGETS.map((t) => cell(row[t])).join(' | ')} |`);
  }
  if (Object.keys(stream).length) {
    lines.push(`| 1 GiB stream, TTFB | ${TARGETS.map((t) => (stream[t] ? `${fixed(stream[t]!.ttfb)} ms` : '–')).join(' | ')} |`);
  }

  lines.push('', 'Environment:', '');
  for (const [name, value] of Object.entries(results.environment)) lines.push(`- ${name}: ${value}`);
  for (const [name, value] of Object.entries(results.checks)) lines.push(`- check, ${name}: ${value}`);
  for (const note of results.notes) lines.push(`- note: ${note}`);
  return `${lines.join('\n')}\n`;
}
