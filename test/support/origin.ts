// Real origin servers on 127.0.0.1 for the gateway to call. Each records what reached it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => unknown;

export interface Origin {
  url: string;
  port: number;
  seen: Seen[];
  server: http.Server;
  close(): Promise<void>;
}

/** An origin answering with `handler`; the default echoes the request as JSON. */
export async function startOrigin(handler: Handler = echo): Promise<Origin> {
  const seen: Seen[] = [];
  const server = http.createServer(async (req, res) => {
    const entry: Seen = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.alloc(0) };
    seen.push(entry);
    try {
      await handler(req, res);
    } catch (error) {
      res.destroy(error as Error);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    server,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export const echo: Handler = async (req, res) => {
  const body = await readBody(req);
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: body.toString('utf8') }));
};

/** A port nothing listens on. */
export { freePort as closedPort } from '../../scripts/workerd.ts';
