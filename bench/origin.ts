// The bench origin's content, served by nginx (static files, when installed) or by this
// Node server (in its own process, so it never shares the bench's event loop).
import { fork } from 'node:child_process';
import { closeSync, openSync, ftruncateSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { html100k, json1k, links100k, STREAM_BYTES } from './pages.ts';

export const PATHS = { json: '/json.json', html: '/page.html', links: '/links.html', stream: '/stream.bin' } as const;

/** Writes the origin's files into `root`; the 1 GiB file is sparse, so it takes no disk. */
export function writeOriginFiles(root: string, origin: string): void {
  writeFileSync(join(root, 'json.json'), json1k());
  writeFileSync(join(root, 'page.html'), html100k());
  writeFileSync(join(root, 'links.html'), links100k(origin));
  const fd = openSync(join(root, 'stream.bin'), 'w');
  ftruncateSync(fd, STREAM_BYTES);
  closeSync(fd);
}

const TYPES: Record<string, string> = { json: 'application/json', html: 'text/html', bin: 'application/octet-stream' };

function serveNode(root: string, port: number): void {
  const files = new Map<string, Buffer>();
  for (const path of [PATHS.json, PATHS.html, PATHS.links]) files.set(path, readFileSync(join(root, path)));
  const zeros = Buffer.alloc(256 * 1024);
  http
    .createServer((req, res) => {
      const path = (req.url ?? '/').split('?', 1)[0]!;
      const type = TYPES[path.slice(path.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
      const file = files.get(path);
      if (file) {
        res.writeHead(200, { 'content-type': type, 'content-length': file.length });
        res.end(file);
        return;
      }
      if (path !== PATHS.stream) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': type, 'content-length': STREAM_BYTES });
      let left = STREAM_BYTES;
      const pump = () => {
        while (left > 0) {
          const chunk = left >= zeros.length ? zeros : zeros.subarray(0, left);
          left -= chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    })
    .listen(port, '127.0.0.1', () => process.send?.('ready'));
}

/** This server in a process of its own, serving `root` on 127.0.0.1:`port`; resolves once it listens. */
export async function forkOrigin(root: string, port: number): Promise<{ base: string; pids(): number[]; stop(): Promise<void> }> {
  const child = fork(fileURLToPath(import.meta.url), [root, String(port)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`origin exited (${code})`)));
  });
  return {
    base: `http://127.0.0.1:${port}`,
    pids: () => [child.pid!],
    stop: () =>
      new Promise((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill();
      }),
  };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  serveNode(process.argv[2]!, Number(process.argv[3]));
}
