// Reading a body in large chunks for the stages that transform it. A fetched body's default
// reader hands out 4 KiB at a time, and in workerd each chunk costs about as much CPU in
// promises and stream plumbing as rewriting it; a BYOB reader takes what has arrived in a
// few large reads. For the same reason a body's transforms are steps chained inside one
// pulled stream, not streams behind pipes or TransformStreams.

const READ_BYTES = 64 * 1024;

export interface ChunkReader {
  next(): Promise<ReadableStreamReadResult<Uint8Array>>;
  cancel(reason: unknown): Promise<void>;
}

/**
 * Reads `body` in chunks as large as have arrived, up to 64 KiB, into one reused buffer:
 * the caller must be done with a chunk before it asks for the next.
 */
export function chunkReader(body: ReadableStream): ChunkReader {
  const read = byteReader(body);
  if (read) return read;
  // Not a byte stream (the output of an earlier stage): its chunks are what they are.
  const reader = (body as ReadableStream<Uint8Array>).getReader();
  return { next: () => reader.read(), cancel: (reason) => reader.cancel(reason) };
}

/**
 * One body transform: given each chunk (and, at the end, none), it returns what is ready to
 * send, or null. It must be done with a chunk when it returns: chunkReader reuses the buffer.
 */
export type ByteStep = (chunk: Uint8Array | undefined) => Uint8Array | null;

/** `body`'s bytes, changed by `step`: read in large chunks and pulled. */
export function transformBytes(body: ReadableStream, step: ByteStep): ReadableStream<Uint8Array> {
  const read = chunkReader(body);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        const { done, value } = await read.next();
        if (done) {
          const out = step(undefined);
          if (out?.length) controller.enqueue(out);
          controller.close();
          return;
        }
        // Nothing ready yet (a tag or match still open): read on rather than return empty.
        const out = step(value);
        if (out?.length) return controller.enqueue(out);
      }
    },
    cancel: (reason) => read.cancel(reason),
  });
}

/**
 * Steps run as one, each one's output the next one's input: a stream per step would add
 * workerd's stream plumbing once more for every step.
 */
export function chainSteps(steps: readonly ByteStep[]): ByteStep {
  if (steps.length === 1) return steps[0]!;
  return (chunk) => {
    if (chunk) {
      let data: Uint8Array | null = chunk;
      for (const step of steps) {
        data = step(data);
        if (!data?.length) return null;
      }
      return data;
    }
    // The end: each step gets what the one before had left, then its own end.
    let tail: Uint8Array | null = null;
    for (const step of steps) {
      const last: Uint8Array | null = tail?.length ? step(tail) : null;
      tail = joinBytes(last, step(undefined));
    }
    return tail;
  };
}

export function joinBytes(a: Uint8Array | null, b: Uint8Array | null): Uint8Array | null {
  if (!a?.length) return b;
  if (!b?.length) return a;
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

/**
 * A step over text: `decode` turns each chunk into text (and, given none, flushes what it
 * holds back); `step` returns what is ready to send, all of it when `final`.
 */
export function textStep(decode: (chunk?: Uint8Array) => string, step: (text: string, final: boolean) => string): ByteStep {
  const encoder = new TextEncoder();
  return (chunk) => {
    const out = step(decode(chunk), chunk === undefined);
    return out ? encoder.encode(out) : null;
  };
}

/** A BYOB reader's reads into one buffer, or null when `body` is not a byte stream (it stays unlocked). */
function byteReader(body: ReadableStream): ChunkReader | null {
  let byob: ReadableStreamBYOBReader;
  try {
    byob = body.getReader({ mode: 'byob' });
  } catch {
    return null;
  }
  let buffer = new ArrayBuffer(READ_BYTES);
  return {
    async next() {
      const result = await byob.read(new Uint8Array(buffer));
      if (result.value) buffer = result.value.buffer;
      return result as ReadableStreamReadResult<Uint8Array>;
    },
    cancel: (reason) => byob.cancel(reason),
  };
}
