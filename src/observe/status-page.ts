// The status page as HTML: one self-contained document (no scripts, no external assets), so
// it renders under its own strict Content-Security-Policy.
import type { TallyView } from './counters.ts';
import type { OriginHealth, Probe, RouteStatus, StatusReport } from './status.ts';

/** Inline styles only; nothing else may load or run. */
export const STATUS_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const cell = (value: unknown) => `<td>${value === null || value === undefined ? '–' : escapeHtml(String(value))}</td>`;

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:1.5rem;color:#1b1f24;background:#fff}
h1{font-size:1.4rem;margin:0 0 .2rem}h2{font-size:1.1rem;margin:1.6rem 0 .5rem}
table{border-collapse:collapse;margin:.3rem 0 1rem;min-width:40%}th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}code{font:13px ui-monospace,monospace}.muted{color:#57606a}
.up{color:#1a7f37;font-weight:600}.down{color:#cf222e;font-weight:600}ul{margin:.2rem 0;padding-left:1.2rem}
.warn{background:#fff8c5;border:1px solid #d4a72c;padding:.4rem .6rem;margin:.3rem 0}
@media (prefers-color-scheme:dark){body{background:#0d1117;color:#e6edf3}th{background:#161b22}th,td{border-color:#30363d}.muted{color:#8b949e}.warn{background:#3b2e00;border-color:#9e6a03}}
`;

function probeCell(probe: Probe | null): string {
  if (!probe) return cell(null);
  if (probe.reachable) return `<td><span class="up">reachable</span> · ${probe.status} · ${probe.ms} ms</td>`;
  return `<td><span class="down">unreachable</span> · ${probe.ms} ms<br><span class="muted">${escapeHtml(probe.error ?? '')}</span></td>`;
}

function tallyCells(t: TallyView): string {
  const s = t.statuses;
  return [t.requests, s['1xx'], s['2xx'], s['3xx'], s['4xx'], s['5xx'], t.latencyMs.p50, t.latencyMs.p95, t.latencyMs.p99, t.bytes, t.unsized].map(cell).join('');
}

const TALLY_HEAD = '<th>requests</th><th>1xx</th><th>2xx</th><th>3xx</th><th>4xx</th><th>5xx</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>bytes</th><th>unsized</th>';

function routeRows(route: RouteStatus): string {
  const features = Object.entries(route.features).map(([name, value]) => `<li><code>${escapeHtml(name)}</code>: ${escapeHtml(String(value))}</li>`).join('');
  return route.origins
    .map((origin, i) => {
      const first = i === 0;
      const span = route.origins.length;
      const head = first
        ? `<td rowspan="${span}"><code>${escapeHtml(route.path)}</code>${route.host ? `<br><span class="muted">host ${escapeHtml(route.host)}</span>` : ''}</td>`
        : '';
      const tail = first ? `<td rowspan="${span}"><ul>${features}</ul></td>` : '';
      return `<tr>${head}<td><code>${escapeHtml(origin.url)}</code></td>${probeCell(origin.probe)}${cell(healthText(origin.health))}${tail}</tr>`;
    })
    .join('');
}

export function statusPage(report: StatusReport): string {
  const { gateway, config, counters } = report;
  const warnings = config.warnings.length ? config.warnings.map((w) => `<div class="warn">${escapeHtml(w)}</div>`).join('') : '<p class="muted">No warnings.</p>';
  const errors = counters.recentErrors.length
    ? `<table><tr><th>time</th><th>status</th><th>request</th><th>route</th><th>reason</th><th>request id</th></tr>${counters.recentErrors
        .map((e) => `<tr>${cell(e.time)}${cell(e.status)}<td><code>${escapeHtml(`${e.method} ${e.path}`)}</code></td>${cell(e.route)}${cell(e.reason)}<td><code>${escapeHtml(e.id)}</code></td></tr>`)
        .join('')}</table>`
    : '<p class="muted">None since the isolate started.</p>';
  const log = report.observe.log;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>switchyard status · ${escapeHtml(gateway.id)}</title><style>${STYLE}</style></head>
<body>
<h1>switchyard <code>${escapeHtml(gateway.id)}</code></h1>
<p class="muted">version ${escapeHtml(gateway.version)} · ${gateway.builtAt ? `built ${escapeHtml(gateway.builtAt)}` : 'build time not stamped'}${gateway.deployment ? ` · Cloudflare version <code>${escapeHtml(gateway.deployment.id)}</code> uploaded ${escapeHtml(gateway.deployment.timestamp || '–')}` : ''} · page generated ${escapeHtml(report.generatedAt)} · request id <code>${escapeHtml(report.requestId)}</code></p>

<h2>Config</h2>
<p>Routes from ${escapeHtml(config.from)}. Request ids in <code>${escapeHtml(report.observe.requestIdHeader)}</code>${report.observe.trustIncoming ? ' (a client\'s own kept when valid)' : ''}; log: ${escapeHtml(log.requests)}${log.requests === 'all' && log.sample < 1 ? `, ${log.sample} of successful requests` : ''}${log.query ? ', with queries' : ''}; Server-Timing ${report.observe.serverTiming ? 'on' : 'off'}.</p>
${warnings}

<h2>Routes and origins</h2>
<p class="muted">Each origin was probed when this page was asked for: one GET of its base URL, at most 3 s.</p>
<table><tr><th>route</th><th>origin</th><th>probe</th><th>health</th><th>features</th></tr>${report.routes.map(routeRows).join('')}</table>

<h2>Counters</h2>
<p class="muted">${escapeHtml(counters.scope)} First request: ${escapeHtml(counters.since ?? 'none yet')}. Latency is until the answer's headers, in the runtime's clock (it advances across I/O only). Bytes are the answers' Content-Length; "unsized" answers streamed without one.</p>
<table><tr><th>route</th>${TALLY_HEAD}</tr>
${report.routes.map((route) => `<tr><td><code>${escapeHtml(route.path)}</code>${route.host ? ` <span class="muted">${escapeHtml(route.host)}</span>` : ''}</td>${tallyCells(route.counters)}</tr>`).join('')}
<tr><td class="muted">no route (404, refused paths)</td>${tallyCells(counters.unrouted)}</tr>
<tr><th>all</th>${tallyCells(counters.all)}</tr></table>

<h2>Recent errors</h2>
<p class="muted">The last 50 answers with status 400 or above, newest first.</p>
${errors}
</body></html>
`;
}

/** `ejected until …`, with the pool member's weight and role where they say something. */
function healthText(health: OriginHealth): string {
  const notes = [health.backup ? 'backup' : '', health.weight !== undefined && health.weight !== 1 ? `weight ${health.weight}` : '', health.inFlight ? `${health.inFlight} in flight` : ''].filter(Boolean);
  return `${health.state}${health.until ? ` until ${health.until}` : ''}${notes.length ? ` (${notes.join(', ')})` : ''}`;
}
