import { describe, expect, it } from 'vitest';
import { chainSteps, chunkReader, textStep, transformBytes, type ByteStep } from './chunks.ts';

/** A byte stream with `count` chunks of `size` bytes all queued, as a fast origin's body is. */
function byteStream(count: number, size: number, byte = (i: number) => i % 251): ReadableStream<Uint8Array> {
  return new ReadableStream({
    type: 'bytes',
    start(controller) {
      for (let i = 0; i < count; i++) controller.enqueue(new Uint8Array(size).fill(byte(i)));
      controller.close();
    },
  });
}

/** Text chunks: `a`, `b`, `c`... one letter per chunk. */
const letters = (i: number) => 97 + (i % 26);

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

const concat = (chunks: Uint8Array[]) => Buffer.concat(chunks.map((chunk) => Buffer.from(chunk)));

describe('transformBytes with a textStep', () => {
  const decoder = () => {
    const utf8 = new TextDecoder();
    return (chunk?: Uint8Array) => (chunk ? utf8.decode(chunk, { stream: true }) : utf8.decode());
  };

  it('hands step what has arrived, up to 64 KiB at a time, and writes its text back', async () => {
    const steps: number[] = [];
    const out = transformBytes(byteStream(40, 4096, letters), textStep(decoder(), (text, final) => {
      if (!final) steps.push(text.length);
      return text.toUpperCase();
    }));
    const text = concat(await collect(out)).toString();
    expect(steps.length).toBeLessThanOrEqual(3);
    expect(Math.max(...steps)).toBeLessThanOrEqual(64 * 1024);
    const expected = concat(await collect(byteStream(40, 4096, letters))).toString().toUpperCase();
    expect(text).toBe(expected);
  });

  it('reads on while step has nothing ready, and sends the rest when the body ends', async () => {
    let held = '';
    const out = transformBytes(byteStream(40, 4096, letters), textStep(decoder(), (text, final) => {
      held += text;
      return final ? held : '';
    }));
    const chunks = await collect(out);
    expect(chunks.length).toBe(1);
    expect(chunks[0]!.length).toBe(40 * 4096);
  });

  it('reads a stream that is not a byte stream (an earlier stage) chunk by chunk', async () => {
    const plain = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('ab'));
        controller.enqueue(new TextEncoder().encode('c'));
        controller.close();
      },
    });
    const steps: string[] = [];
    const out = transformBytes(plain, textStep(decoder(), (text) => (steps.push(text), text)));
    expect(concat(await collect(out)).toString()).toBe('abc');
    expect(steps).toEqual(['ab', 'c', '']);
  });
});

describe('chainSteps', () => {
  const bytes = (text: string) => new TextEncoder().encode(text);
  const text = (chunk: Uint8Array | null) => (chunk ? new TextDecoder().decode(chunk) : null);
  /** Holds everything back until the end, then sends it in brackets. */
  const holding = (): ByteStep => {
    let held = '';
    return (chunk) => {
      if (chunk) return (held += text(chunk)), null;
      return bytes(`[${held}]`);
    };
  };
  /** Sends each chunk upper-cased at once, and `!` at the end. */
  const upper: ByteStep = (chunk) => bytes(chunk ? text(chunk)!.toUpperCase() : '!');

  it('feeds each step what the one before sent', () => {
    const step = chainSteps([upper, (chunk) => (chunk ? bytes(`<${text(chunk)}>`) : null)]);
    expect(text(step(bytes('ab')))).toBe('<AB>');
    expect(text(step(undefined))).toBe('<!>');
  });

  it('gives a later step what an earlier one held to the end, before its own end', () => {
    const step = chainSteps([holding(), upper, holding()]);
    expect(step(bytes('ab'))).toBe(null);
    expect(step(bytes('c'))).toBe(null);
    // holding sends "[abc]" at the end; upper makes it "[ABC]" and adds "!"; the last holds both.
    expect(text(step(undefined))).toBe('[[ABC]!]');
  });

  it('runs inside one stream, whatever the chunks', async () => {
    const out = transformBytes(byteStream(3, 5, letters), chainSteps([holding(), upper]));
    expect(concat(await collect(out)).toString()).toBe('[AAAAABBBBBCCCCC]!');
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
