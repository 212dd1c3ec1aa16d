// When a failed attempt goes to another origin, and the request body kept to replay it.
// Pure over web-standard streams: no runtime globals.

export interface RetryPolicy {
  /** attempts after the first, at most */
  attempts: number;
  onConnect: boolean;
  onTimeout: boolean;
  statuses: ReadonlySet<number>;
  /** upper-case; methods outside it are retried only after a connection failure */
  methods: ReadonlySet<string>;
  /** the largest request body kept for a replay; 0 keeps none */
  bodyBytes: number;
  /** ms one attempt may wait for headers; null: all that remains of the route's timeout */
  attemptTimeout: number | null;
}

export const DEFAULT_RETRY = {
  attempts: 2,
  on: ['connect', 'timeout', 502, 503, 504],
  methods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'],
  bodyBytes: 65536,
} as const;

/** Methods whose requests normally carry no body: retrying them needs no kept body. */
export const BODILESS_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'DELETE', 'TRACE']);

/** How one attempt ended, as retry and health read it. */
export type Failure = 'connect' | 'timeout' | number;

/**
 * Whether a failed attempt may be tried again elsewhere. A body that was not kept whole has
 * been spent on the first attempt. A connection failure retries any method (nothing reached
 * the origin, as far as the runtime tells); anything else only the listed methods.
 */
export function shouldRetry(policy: RetryPolicy, failure: Failure, method: string, replayable: boolean): boolean {
  if (!replayable) return false;
  if (failure === 'connect') return policy.onConnect;
  if (!policy.methods.has(method.toUpperCase())) return false;
  return failure === 'timeout' ? policy.onTimeout : policy.statuses.has(failure);
}

/** Whether a response's status is one the policy retries (the response is then dropped). */
export const retriesStatus = (policy: RetryPolicy, status: number): boolean => policy.statuses.has(status);

export type KeptBody =
  /** the whole body, to send as often as needed */
  | { bytes: Uint8Array; stream?: undefined }
  /** too long to keep: what was read, then the rest, sent once */
  | { bytes?: undefined; stream: ReadableStream<Uint8Array> };

/**
 * Reads a request body up to `limit` bytes to replay it byte-identical. A declared
 * Content-Length over the limit is not read at all; a body without one is read up to the limit,
 * and if it goes on, what was read is sent followed by the rest, once. Throws when the body
 * errors while being read (a cut-off upload).
 */
/** The body did not arrive whole within the deadline. */
export class BodyTimeout extends Error {}

export async function keepBody(body: ReadableStream<Uint8Array>, contentLength: string | null, limit: number, deadline?: AbortSignal): Promise<KeptBody> {
  const declared = contentLength === null ? NaN : Number(contentLength);
  if (declared > limit) return { stream: body };
  const reader = body.getReader();
  // A client that stops sending mid-body must not hold the request past the route's timeout.
  const stop = () => void reader.cancel().catch(() => {});
  deadline?.addEventListener('abort', stop);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch (error) {
      throw deadline?.aborted ? new BodyTimeout() : error;
    }
    if (deadline?.aborted) throw new BodyTimeout();
    const { done, value } = chunk;
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size > limit) {
      deadline?.removeEventListener('abort', stop);
      return { stream: prefixed(chunks, reader) };
    }
  }
  deadline?.removeEventListener('abort', stop);
  if (chunks.length === 1) return { bytes: chunks[0]! };
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { bytes };
}

/** The chunks already read, then whatever the reader still holds, as one stream. */
function prefixed(chunks: Uint8Array[], reader: ReadableStreamDefaultReader<Uint8Array>): ReadableStream<Uint8Array> {
  let next = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (next < chunks.length) {
        controller.enqueue(chunks[next]!);
        chunks[next++] = EMPTY;
        return;
      }
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

const EMPTY = new Uint8Array(0);
