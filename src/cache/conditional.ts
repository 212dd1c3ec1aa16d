// Answering a client's conditional and range requests from a stored response (RFC 9110 §13,
// §14), as the origin would have.

const ETAG = /(?:W\/)?"[^"]*"/g;
const opaque = (tag: string) => (tag.startsWith('W/') ? tag.slice(2) : tag);

/** If-None-Match (weak comparison), else If-Modified-Since: true when the client's copy is current. */
export function notModified(request: Headers, stored: Headers): boolean {
  const noneMatch = request.get('if-none-match');
  if (noneMatch !== null) {
    const etag = stored.get('etag');
    if (noneMatch.trim() === '*') return true;
    return etag !== null && (noneMatch.match(ETAG) ?? []).some((tag) => opaque(tag) === opaque(etag));
  }
  const since = request.get('if-modified-since');
  if (since === null) return false;
  const modified = Date.parse(stored.get('last-modified') ?? '');
  return !Number.isNaN(modified) && modified <= Date.parse(since);
}

/** The fields a 304 carries (RFC 9110 §15.4.5), from the response it stands for. */
export function notModifiedHeaders(full: Headers): Headers {
  const headers = new Headers();
  for (const name of ['cache-control', 'content-location', 'date', 'etag', 'expires', 'vary', 'age', 'last-modified']) {
    const value = full.get(name);
    if (value !== null) headers.set(name, value);
  }
  return headers;
}

export type RangeAnswer = { start: number; end: number } | 'unsatisfiable' | null;

/**
 * The one byte range to send of a body of `length` bytes: null to send it whole (no Range, a
 * form this does not serve such as several ranges, or an If-Range that no longer matches).
 */
export function byteRange(request: Headers, stored: Headers, length: number): RangeAnswer {
  const range = request.get('range');
  if (!range) return null;
  const ifRange = request.get('if-range');
  if (ifRange !== null && !ifRangeHolds(ifRange.trim(), stored)) return null;
  const match = /^bytes=(\d*)-(\d*)$/i.exec(range.trim());
  if (!match || (!match[1] && !match[2])) return null;
  if (!match[1]) {
    const suffix = Number(match[2]);
    if (suffix === 0 || length === 0) return 'unsatisfiable';
    return { start: Math.max(0, length - suffix), end: length - 1 };
  }
  const start = Number(match[1]);
  if (start >= length) return 'unsatisfiable';
  const end = match[2] ? Number(match[2]) : length - 1;
  if (end < start) return null;
  return { start, end: Math.min(end, length - 1) };
}

/** If-Range: a strong ETag equal to the stored one, or the stored Last-Modified exactly. */
function ifRangeHolds(value: string, stored: Headers): boolean {
  if (value.startsWith('"')) return stored.get('etag') === value;
  if (value.startsWith('W/')) return false;
  const lastModified = stored.get('last-modified');
  return lastModified !== null && Date.parse(lastModified) === Date.parse(value);
}

/** The bytes [start, end] of a body, stopping the source once past them. */
export function sliceBody(body: ReadableStream<Uint8Array>, start: number, end: number): ReadableStream<Uint8Array> {
  let offset = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        const from = Math.max(0, start - offset);
        const to = Math.min(chunk.length, end + 1 - offset);
        offset += chunk.length;
        if (to > from) controller.enqueue(chunk.subarray(from, to));
        if (offset > end) controller.terminate();
      },
    }),
  );
}
