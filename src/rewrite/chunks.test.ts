import { describe, expect, it } from 'vitest';
import { chunkReader, largeChunks } from './chunks.ts';

/** A byte stream with `count` chunks of `size` bytes all queued, as a fast origin's body is. */
function byteStream(count: number, size: number): ReadableStream<Uint8Array> {
  return new ReadableStream({
    type: 'bytes',
    start(controller) {
      for (let i = 0; i < count; i++) controller.enqueue(new Uint8Array(size).fill(i % 251));
      controller.close();
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

const concat = (chunks: Uint8Array[]) => Buffer.concat(chunks.map((chunk) => Buffer.from(chunk)));

describe('largeChunks', () => {
  it('reads what has arrived in chunks of up to 64 KiB, bytes unchanged', async () => {
    const chunks = await collect(largeChunks(byteStream(40, 4096)));
    expect(chunks.length).toBeLessThanOrEqual(3);
    expect(Math.max(...chunks.map((chunk) => chunk.length))).toBeLessThanOrEqual(64 * 1024);
    expect(concat(chunks).equals(concat(await collect(byteStream(40, 4096))))).toBe(true);
  });

  it('hands on chunks that stay intact after later reads', async () => {
    const chunks = await collect(largeChunks(byteStream(40, 4096)));
    // Each chunk has its own buffer: the first still holds the stream's first bytes.
    expect(chunks[0]![0]).toBe(0);
    expect(new Set(chunks.map((chunk) => chunk.buffer)).size).toBe(chunks.length);
  });

  it('passes the chunks of a stream that is not a byte stream as they are', async () => {
    const plain = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array([1, 2]));
        controller.enqueue(new Uint8Array([3]));
        controller.close();
      },
    });
    const same = largeChunks(plain);
    expect(same).toBe(plain);
    expect((await collect(same)).map((chunk) => [...chunk])).toEqual([[1, 2], [3]]);
  });
});

describe('chunkReader', () => {
  it('reuses one buffer for every read', async () => {
    const read = chunkReader(byteStream(40, 4096));
    const first = await read.next();
    expect(first.value!.length).toBe(64 * 1024);
    const second = await read.next();
    expect(second.value!.length).toBe(64 * 1024);
    // The buffer moved into the second read (no new one): the first chunk is gone by then.
    expect(first.value!.byteLength).toBe(0);
  });
});
