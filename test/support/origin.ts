// Real origin servers on 127.0.0.1 for the gateway to call. Each records what reached it.
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';

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

/**
 * A port nothing listens on, below the kernel's ephemeral range: a port freed after binding
 * port 0 can be handed to another test file's origin (running in parallel) before the gateway
 * calls it, which then answers in place of a refusal.
 */
export async function closedPort(): Promise<number> {
  for (const port of [1, 9, 11, 13, 17]) if (await refused(port)) return port;
  throw new Error('no closed port below the ephemeral range on 127.0.0.1');
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(false)));
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}
