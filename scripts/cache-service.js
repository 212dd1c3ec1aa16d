// @ts-check
// The Cache API's store under `npm run serve` (and the tests): bare workerd sends a Worker's
// `caches.default` operations to its `cacheApiOutbound` service, as HTTP requests. This is that
// service, in memory: least recently used entries go first once the bytes it holds pass
// MAX_BYTES, and an entry leaves when the max-age it was stored with runs out.
//
// The protocol (workerd's cache.c++): match is a GET of the key's URL, answered with
// `CF-Cache-Status: HIT` and the stored response, or `MISS`; put is a PUT of the key's URL whose
// body is the response serialized as HTTP/1.1 (status line, headers, then the body's bytes),
// answered 204, or 413 when it cannot be stored; delete is a PURGE, answered 200, or 404 when
// there was nothing. Named caches (`caches.open`) add a `CF-Cache-Namespaces` header.

/** @typedef {{ status: number, statusText: string, headers: Headers, body: Uint8Array, expires: number, size: number }} Entry */

/** @type {Map<string, Entry>} key → entry, least recently used first */
const entries = new Map();
let held = 0;

/** Bytes an entry costs besides its body: its key, headers and bookkeeping. */
const OVERHEAD = 256;
const decoder = new TextDecoder('latin1');

export default {
  /** @param {Request} request @param {{ MAX_BYTES?: number }} env */
  async fetch(request, env) {
    const namespace = request.headers.get('cf-cache-namespaces');
    const key = namespace ? `${namespace} ${request.url}` : request.url;
    const maxBytes = Number(env.MAX_BYTES ?? 64 * 1024 * 1024);
    if (request.method === 'GET') return match(key);
    if (request.method === 'PUT') return put(key, request, maxBytes);
    if (request.method === 'PURGE') return new Response(null, { status: remove(key) ? 200 : 404 });
    return new Response(null, { status: 405 });
  },
};

/** @param {string} key */
function match(key) {
  const entry = entries.get(key);
  if (!entry || entry.expires <= Date.now()) {
    if (entry) remove(key);
    return new Response(null, { headers: { 'cf-cache-status': 'MISS' } });
  }
  // Used now: to the back of the line.
  entries.delete(key);
  entries.set(key, entry);
  // The bytes are stored as sent, still in their Content-Encoding: say so, or they would be encoded twice.
  return new Response(entry.body, { status: entry.status, statusText: entry.statusText, headers: entry.headers, encodeBody: 'manual' });
}

/** @param {string} key @param {Request} request @param {number} maxBytes */
async function put(key, request, maxBytes) {
  const bytes = await readAtMost(request.body, maxBytes);
  const parsed = bytes && parseResponse(bytes);
  const lifetime = parsed && storeLifetime(parsed.headers);
  if (!parsed || !lifetime) {
    // Too big, unreadable, or nothing to keep it for: any older entry under this key is outdated too.
    remove(key);
    return new Response(null, { status: bytes ? 204 : 413 });
  }
  remove(key);
  const size = parsed.body.length + OVERHEAD + key.length + parsed.headers.reduce((sum, [name, value]) => sum + name.length + value.length, 0);
  if (size > maxBytes) return new Response(null, { status: 413 });
  // Built once: every hit's Response copies these (a copy costs far less than building from pairs).
  const headers = new Headers(parsed.headers);
  headers.set('content-length', String(parsed.body.length));
  headers.set('cf-cache-status', 'HIT');
  entries.set(key, { status: parsed.status, statusText: parsed.statusText, headers, body: parsed.body, expires: Date.now() + lifetime * 1000, size });
  held += size;
  for (const [oldest, entry] of entries) {
    if (held <= maxBytes) break;
    entries.delete(oldest);
    held -= entry.size;
  }
  return new Response(null, { status: 204 });
}

/** @param {string} key */
function remove(key) {
  const entry = entries.get(key);
  if (!entry) return false;
  entries.delete(key);
  held -= entry.size;
  return true;
}

/**
 * The body whole, or null once it passes `limit` bytes (the rest is not read).
 * @param {ReadableStream<Uint8Array> | null} body @param {number} limit
 */
async function readAtMost(body, limit) {
  if (!body) return new Uint8Array(0);
  const chunks = [];
  let length = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.length;
    if (length > limit) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

/**
 * `HTTP/1.1 200 OK\r\nName: value\r\n...\r\n\r\n<body>`: the body follows as is (workerd writes
 * it unframed, whatever Transfer-Encoding says).
 * @param {Uint8Array} bytes
 */
export function parseResponse(bytes) {
  let end = -1;
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      end = i;
      break;
    }
  }
  if (end === -1) return null;
  const [statusLine = '', ...lines] = decoder.decode(bytes.subarray(0, end)).split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine);
  if (!status) return null;
  /** @type {[string, string][]} */
  const headers = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) return null;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (name === 'transfer-encoding' || name === 'content-length') continue;
    headers.push([name, line.slice(colon + 1).trim()]);
  }
  return { status: Number(status[1]), statusText: status[2] ?? '', headers, body: bytes.slice(end + 4) };
}

/**
 * Seconds the store keeps a response: its s-maxage or max-age, else its Expires; 0 (not kept)
 * for no-store, private or neither.
 * @param {[string, string][]} headers lower-case names
 */
export function storeLifetime(headers) {
  const get = (/** @type {string} */ name) => headers.find(([key]) => key === name)?.[1] ?? null;
  const cacheControl = (get('cache-control') ?? '').toLowerCase();
  if (/(?:^|,)\s*(?:no-store|private)\b/.test(cacheControl)) return 0;
  const age = /(?:^|,)\s*s-maxage\s*=\s*(\d+)/.exec(cacheControl) ?? /(?:^|,)\s*max-age\s*=\s*(\d+)/.exec(cacheControl);
  if (age) return Number(age[1]);
  const expires = Date.parse(get('expires') ?? '');
  return Number.isNaN(expires) ? 0 : Math.max(0, Math.floor((expires - Date.now()) / 1000));
}

