// HTTP/1.1 on a bare socket: sends exactly the bytes given (a Host with a space, two Host
// headers, a body shorter than its Content-Length), which Node's http client refuses to.
import net from 'node:net';

export interface RawAnswer {
  /** 0 when the connection closed without a status line */
  status: number;
  headers: Record<string, string>;
  text: string;
  json<T = any>(): T;
}

export interface RawOptions {
  /** written after the head, a moment later (so the server has begun on the request) */
  body?: string | Buffer;
  /** after writing: `half` shuts our side (FIN) and still reads the answer; default leaves it open */
  end?: 'half';
}

/** Sends `head` (request line and headers, `\r\n`-separated, without the blank line) and reads the answer until the server closes. */
export function rawRequest(port: number, head: string, options: RawOptions = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.once('error', reject);
    socket.once('close', () => resolve(parse(Buffer.concat(chunks))));
    socket.write(`${head}\r\nConnection: close\r\n\r\n`, 'latin1');
    const finish = () => {
      if (options.end === 'half') socket.end();
    };
    if (options.body === undefined) finish();
    else setTimeout(() => socket.write(options.body!, finish), 50);
  });
}

function parse(raw: Buffer): RawAnswer {
  const split = raw.indexOf('\r\n\r\n');
  const head = (split === -1 ? raw : raw.subarray(0, split)).toString('latin1').split('\r\n');
  let body = split === -1 ? Buffer.alloc(0) : raw.subarray(split + 4);
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '')?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  if (headers['transfer-encoding'] === 'chunked') body = unchunk(body);
  const text = body.toString('utf8');
  return { status, headers, text, json: () => JSON.parse(text) };
}

function unchunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd === -1) break;
    const size = parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
    if (!size) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
