// nginx for the bench: as the origin (static files, the fastest origin we can have here) and
// as the reference reverse proxy (proxy_pass, and sub_filter for link rewriting).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export function nginxBinary(): string | null {
  for (const candidate of ['nginx', '/usr/sbin/nginx', '/usr/local/sbin/nginx']) {
    if (spawnSync(candidate, ['-v'], { stdio: 'ignore' }).status === 0) return candidate;
  }
  return null;
}

export interface Nginx {
  /** master and workers */
  pids(): number[];
  stop(): Promise<void>;
}

function common(dir: string, body: string): string {
  const user = process.getuid?.() === 0 ? 'user root;\n' : '';
  return `${user}daemon off;
worker_processes auto;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  keepalive_requests 1000000;
${body}
}
`;
}

/** Static files from `root` (json, html and a sparse 1 GiB .bin) on `port`. */
export function originConfig(dir: string, root: string, port: number): string {
  return common(
    dir,
    `  types { application/json json; text/html html; application/octet-stream bin; }
  sendfile on;
  tcp_nopush on;
  server {
    listen 127.0.0.1:${port} reuseport;
    root ${root};
    etag off;
  }`,
  );
}

/** The bench's substitution: a word the 100 KB page holds ~730 times, in both proxies. */
export const SUBSTITUTION = { match: 'ipsum', replace: 'IPSUM' } as const;

/**
 * The reference proxy on `port`: `/` passes through, `/site/` rewrites absolute origin URLs
 * to gateway paths with sub_filter (plain string replacement, what nginx users do), and
 * `/subst/` replaces a word, as switchyard's substitution route does.
 */
export function proxyConfig(dir: string, origin: string, port: number): string {
  return common(
    dir,
    `  upstream origin { server ${new URL(origin).host}; keepalive 64; }
  proxy_cache_path ${join(dir, 'cache')} keys_zone=bench:10m;
  proxy_http_version 1.1;
  proxy_set_header Connection "";
  # Stream large bodies to the client instead of spooling them to disk.
  proxy_max_temp_file_size 0;
  server {
    listen 127.0.0.1:${port} reuseport;
    location / { proxy_pass http://origin; }
    location /site/ {
      proxy_pass http://origin/;
      # sub_filter only sees uncompressed bodies.
      proxy_set_header Accept-Encoding "";
      sub_filter '${origin}/' '/site/';
      sub_filter_once off;
    }
    # proxy_cache, as switchyard's cache routes: the origin gives no freshness, proxy_cache_valid does.
    location /cached/ {
      proxy_pass http://origin/;
      proxy_cache bench;
      proxy_cache_valid 200 1h;
    }
    location /site-cached/ {
      proxy_pass http://origin/;
      proxy_cache bench;
      proxy_cache_valid 200 1h;
      proxy_set_header Accept-Encoding "";
      sub_filter '${origin}/' '/site/';
      sub_filter_once off;
    }
    location /subst/ {
      proxy_pass http://origin/;
      proxy_set_header Accept-Encoding "";
      sub_filter '${SUBSTITUTION.match}' '${SUBSTITUTION.replace}';
      sub_filter_once off;
    }
  }`,
  );
}

export async function startNginx(binary: string, dir: string, config: string, port: number): Promise<Nginx> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, config);
  const child: ChildProcess = spawn(binary, ['-c', file, '-p', dir, '-e', join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
    if (await accepts(port)) break;
    await sleep(50);
  }
  const pids = () => [child.pid!, ...childrenOf(child.pid!)];
  return {
    pids,
    stop: () =>
      new Promise((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        // QUIT: graceful; the bench has finished with it.
        child.kill('SIGQUIT');
      }),
  };
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function accepts(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(500) }).then((res) => res.arrayBuffer());
    return true;
  } catch {
    return false;
  }
}
