// Which failures retry, for which methods, and the request body kept to replay it.
import { describe, expect, it } from 'vitest';
import { keepBody, shouldRetry, type RetryPolicy } from './retry.ts';

const policy: RetryPolicy = {
  attempts: 2,
  onConnect: true,
  onTimeout: true,
  statuses: new Set([502, 503, 504]),
  methods: new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']),
  bodyBytes: 16,
  attemptTimeout: null,
};

describe('shouldRetry', () => {
  it('retries a listed method on every listed failure', () => {
    for (const failure of ['connect', 'timeout', 502, 503, 504] as const) expect(shouldRetry(policy, failure, 'GET', true)).toBe(true);
    expect(shouldRetry(policy, 500, 'GET', true)).toBe(false);
    expect(shouldRetry(policy, 503, 'put', true)).toBe(true);
  });

  it('retries other methods only after a connection failure', () => {
    expect(shouldRetry(policy, 'connect', 'POST', true)).toBe(true);
    expect(shouldRetry(policy, 503, 'POST', true)).toBe(false);
    expect(shouldRetry(policy, 'timeout', 'PATCH', true)).toBe(false);
  });

  it('never retries a body that was not kept whole', () => {
    expect(shouldRetry(policy, 'connect', 'PUT', false)).toBe(false);
    expect(shouldRetry(policy, 503, 'PUT', false)).toBe(false);
  });

  it('retries nothing the policy leaves out of `on`', () => {
    const strict = { ...policy, onConnect: false, onTimeout: false, statuses: new Set<number>() };
    expect(shouldRetry(strict, 'connect', 'GET', true)).toBe(false);
    expect(shouldRetry(strict, 'timeout', 'GET', true)).toBe(false);
    expect(shouldRetry(strict, 503, 'GET', true)).toBe(false);
  });
});

const encoder = new TextEncoder();
function streamOf(...parts: string[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i < parts.length) controller.enqueue(encoder.encode(parts[i++]));
      else controller.close();
    },
  });
}
const text = async (stream: ReadableStream<Uint8Array>) => new Response(stream).text();
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('keepBody', () => {
  it('keeps a body up to the limit whole, from one chunk or many', async () => {
    expect(decode((await keepBody(streamOf('exactly 16 bytes'), '16', 16)).bytes!)).toBe('exactly 16 bytes');
    expect(decode((await keepBody(streamOf('chun', 'ked ', 'body'), null, 16)).bytes!)).toBe('chunked body');
    expect((await keepBody(streamOf(), null, 16)).bytes!.byteLength).toBe(0);
  });

  it('does not read a body whose Content-Length is over the limit', async () => {
    const body = streamOf('x'.repeat(17));
    const kept = await keepBody(body, '17', 16);
    expect(kept.bytes).toBeUndefined();
    expect(kept.stream).toBe(body);
  });

  it('streams what it read and then the rest when a body without Content-Length goes past the limit', async () => {
    const kept = await keepBody(streamOf('0123456789', 'abcdefghij', 'KLMNOPQRST', 'end'), null, 16);
    expect(kept.bytes).toBeUndefined();
    expect(await text(kept.stream!)).toBe('0123456789abcdefghijKLMNOPQRSTend');
  });

  it('throws when the body errors while it is read', async () => {
    const failing = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode('part'));
        controller.error(new Error('cut off'));
      },
    });
    await expect(keepBody(failing, null, 16)).rejects.toThrow('cut off');
  });
});
