// Stored entries: what the store keeps, and what a hit is served with.
import { describe, expect, it } from 'vitest';
import { currentAge, freshenedHeaders, readMeta, servedHeaders, storedHeaders, validators, type EntryMeta } from './entry.ts';

const meta: EntryMeta = { storedAt: 1_000_000, initialAge: 5, fresh: 60, staleWhileRevalidate: 0, staleIfError: 30, shared: false, rewritten: false };

describe('storedHeaders', () => {
  it('keeps the origin\'s Cache-Control aside and gives the store its lifetime', () => {
    const stored = storedHeaders(new Headers({ 'cache-control': 'max-age=60', connection: 'keep-alive', 'content-type': 'text/plain' }), meta, null)!;
    expect(stored.lifetime).toBe(60 - 5 + 30);
    expect(stored.headers.get('cache-control')).toBe('max-age=85');
    expect(stored.headers.has('connection')).toBe(false);
    expect(readMeta(stored.headers)).toEqual(meta);
    const served = servedHeaders(stored.headers, meta, 7);
    expect([...served]).toEqual([
      ['age', '7'],
      ['cache-control', 'max-age=60'],
      ['content-type', 'text/plain'],
    ]);
  });

  it('keeps an entry with a validator past staleness so that it can be revalidated', () => {
    const stale = { ...meta, fresh: 0, initialAge: 0, staleIfError: 0 };
    expect(storedHeaders(new Headers({ etag: '"a"' }), stale, null)!.lifetime).toBe(600);
    expect(storedHeaders(new Headers(), stale, null)).toBeNull();
  });

  it('remembers the origin\'s Last-Modified that rewriting removed, for revalidation', () => {
    const stored = storedHeaders(new Headers({ etag: 'W/"a"' }), { ...meta, rewritten: true }, 'Wed, 01 Jan 2025 00:00:00 GMT')!.headers;
    expect(validators(stored)).toEqual({ etag: 'W/"a"', lastModified: 'Wed, 01 Jan 2025 00:00:00 GMT' });
    expect(servedHeaders(stored, { ...meta, rewritten: true }, 0).has('last-modified')).toBe(false);
    expect(servedHeaders(stored, { ...meta, rewritten: true }, 0).has('x-switchyard-last-modified')).toBe(false);
  });
});

describe('readMeta and currentAge', () => {
  it('refuse what is not an entry of ours', () => {
    expect(readMeta(new Headers())).toBeNull();
    expect(readMeta(new Headers({ 'x-switchyard-cache': '1 2 x' }))).toBeNull();
  });
  it('add the seconds spent in the store to the age on arrival', () => {
    expect(currentAge(meta, meta.storedAt + 12_900)).toBe(17);
    expect(currentAge(meta, meta.storedAt - 5_000)).toBe(5);
  });
});

describe('freshenedHeaders', () => {
  const stored = storedHeaders(new Headers({ 'cache-control': 'max-age=1', etag: '"v1"', 'content-length': '10', 'content-type': 'text/plain' }), meta, null)!.headers;

  it('takes the 304\'s fields but keeps the body\'s own', () => {
    const headers = freshenedHeaders(stored, new Headers({ 'cache-control': 'max-age=60', etag: '"v1"', 'content-length': '0', 'content-type': 'text/html', connection: 'close' }), false);
    expect(headers.get('cache-control')).toBe('max-age=60');
    expect(headers.get('content-length')).toBe('10');
    expect(headers.get('content-type')).toBe('text/plain');
    expect(headers.has('connection')).toBe(false);
    expect(readMeta(headers)).toBeNull();
  });

  it('keeps a rewritten body\'s validators weak', () => {
    const headers = freshenedHeaders(stored, new Headers({ etag: '"v1"', 'last-modified': 'Wed, 01 Jan 2025 00:00:00 GMT' }), true);
    expect(headers.get('etag')).toBe('W/"v1"');
    expect(headers.has('last-modified')).toBe(false);
    expect(validators(headers).lastModified).toBe('Wed, 01 Jan 2025 00:00:00 GMT');
  });
});
