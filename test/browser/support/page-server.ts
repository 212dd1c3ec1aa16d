// Serves the test's pages from their own 127.0.0.1 port: the page origin of a CORS test.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PageServer {
  /** http://127.0.0.1:PORT, also the page's Origin */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** path → HTML (or { body, type }); '/' defaults to an empty page. Unknown paths get 404. */
export async function servePages(pages: Record<string, string | { body: string; type: string }> = {}): Promise<PageServer> {
  const all: Record<string, string | { body: string; type: string }> = { '/': '<!doctype html><title>switchyard test page</title>', ...pages };
  const server = http.createServer((req, res) => {
    const page = all[new URL(req.url!, 'http://x').pathname];
    if (page === undefined) {
      res.writeHead(404).end();
      return;
    }
    const { body, type } = typeof page === 'string' ? { body: page, type: 'text/html; charset=utf-8' } : page;
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
