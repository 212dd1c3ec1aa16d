// scripts/cache-service.js reads what workerd's Cache API sends it.
import { describe, expect, it } from 'vitest';
import { parseResponse, storeLifetime } from '../scripts/cache-service.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('parseResponse', () => {
  it('splits a serialized response, its body taken as is whatever Transfer-Encoding says', () => {
    const parsed = parseResponse(bytes('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\nchunk1-chunk2'))!;
    expect(parsed.status).toBe(200);
    expect(parsed.statusText).toBe('OK');
    expect(parsed.headers).toEqual([
      ['content-type', 'text/plain'],
      ['x-a', '1'],
    ]);
    expect(new TextDecoder().decode(parsed.body)).toBe('chunk1-chunk2');
  });
  it('refuses what is not a response', () => {
    expect(parseResponse(bytes('garbage'))).toBeNull();
    expect(parseResponse(bytes('HTTP/1.1 200 OK\r\nno colon\r\n\r\n'))).toBeNull();
  });
});

describe('storeLifetime', () => {
  it('is s-maxage, else max-age, else what Expires leaves; nothing for no-store or private', () => {
    expect(storeLifetime([['cache-control', 'max-age=30, s-maxage=60']])).toBe(60);
    expect(storeLifetime([['cache-control', 'max-age=30']])).toBe(30);
    expect(storeLifetime([['expires', new Date(Date.now() + 90_000).toUTCString()]])).toBeGreaterThanOrEqual(88);
    expect(storeLifetime([['cache-control', 'no-store, max-age=30']])).toBe(0);
    expect(storeLifetime([['cache-control', 'private, max-age=30']])).toBe(0);
    expect(storeLifetime([])).toBe(0);
  });
});
