import { describe, expect, it } from 'vitest';
import { maskAll, redactableSecrets, redactStream } from './redact.ts';

const encode = (text: string) => new TextEncoder().encode(text);

async function throughChunks(chunks: string[], secrets: string[]): Promise<string> {
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encode(chunk));
      controller.close();
    },
  });
  return new Response(redactStream(stream, redactableSecrets(secrets))).text();
}

describe('redactableSecrets', () => {
  it('drops short values and duplicates', () => {
    expect(redactableSecrets(['eu', 'sk-12345678', 'sk-12345678']).length).toBe(1);
  });
});

describe('maskAll', () => {
  it('masks every occurrence with the same length', () => {
    const bytes = encode('a sk-12345678 b sk-12345678sk-12345678 c');
    maskAll(bytes, redactableSecrets(['sk-12345678']));
    expect(new TextDecoder().decode(bytes)).toBe(`a ${'*'.repeat(11)} b ${'*'.repeat(22)} c`);
  });

  it('finds a match after a false start', () => {
    const bytes = encode('sk-1234sk-12345678');
    maskAll(bytes, redactableSecrets(['sk-12345678']));
    expect(new TextDecoder().decode(bytes)).toBe(`sk-1234${'*'.repeat(11)}`);
  });
});

describe('redactStream', () => {
  const secret = 'Bearer sk-live-abcdef';

  it('masks a secret split across chunks', async () => {
    const body = `{"headers":{"authorization":"${secret}"}}`;
    for (let cut = 1; cut < body.length; cut++) {
      const out = await throughChunks([body.slice(0, cut), body.slice(cut)], [secret]);
      expect(out, `cut at ${cut}`).toBe(body.replace(secret, '*'.repeat(secret.length)));
    }
  });

  it('masks a secret spread over many one-byte chunks', async () => {
    const out = await throughChunks([...`x${secret}y`], [secret]);
    expect(out).toBe(`x${'*'.repeat(secret.length)}y`);
  });

  it('leaves other bodies byte for byte, short ones included', async () => {
    expect(await throughChunks(['hello', ' ', 'world'], [secret])).toBe('hello world');
    expect(await throughChunks(['hi'], [secret])).toBe('hi');
    expect(await throughChunks([], [secret])).toBe('');
  });
});
