// Conditional and range requests answered from a stored response.
import { describe, expect, it } from 'vitest';
import { byteRange, notModified, notModifiedHeaders, sliceBody } from './conditional.ts';

const stored = new Headers({ etag: 'W/"abc"', 'last-modified': 'Wed, 01 Jan 2025 00:00:00 GMT', 'content-type': 'text/html', 'cache-control': 'max-age=60' });
const req = (headers: Record<string, string>) => new Headers(headers);

describe('notModified', () => {
  it('compares If-None-Match weakly, in a list, and * for any', () => {
    expect(notModified(req({ 'if-none-match': '"abc"' }), stored)).toBe(true);
    expect(notModified(req({ 'if-none-match': '"x", W/"abc"' }), stored)).toBe(true);
    expect(notModified(req({ 'if-none-match': '"x"' }), stored)).toBe(false);
    expect(notModified(req({ 'if-none-match': '*' }), stored)).toBe(true);
  });
  it('uses If-Modified-Since only without If-None-Match', () => {
    expect(notModified(req({ 'if-modified-since': 'Wed, 01 Jan 2025 00:00:00 GMT' }), stored)).toBe(true);
    expect(notModified(req({ 'if-modified-since': 'Tue, 31 Dec 2024 00:00:00 GMT' }), stored)).toBe(false);
    expect(notModified(req({ 'if-none-match': '"x"', 'if-modified-since': 'Wed, 01 Jan 2025 00:00:00 GMT' }), stored)).toBe(false);
    expect(notModified(req({ 'if-modified-since': 'garbage' }), stored)).toBe(false);
  });
  it('a 304 carries the validators and caching fields, not the body\'s', () => {
    expect([...notModifiedHeaders(stored).keys()].sort()).toEqual(['cache-control', 'etag', 'last-modified']);
  });
});

describe('byteRange', () => {
  const range = (value: string, extra: Record<string, string> = {}, headers = stored) => byteRange(req({ range: value, ...extra }), headers, 100);
  it('serves one range: first-last, open-ended, or a suffix', () => {
    expect(range('bytes=0-9')).toEqual({ start: 0, end: 9 });
    expect(range('bytes=90-')).toEqual({ start: 90, end: 99 });
    expect(range('bytes=95-200')).toEqual({ start: 95, end: 99 });
    expect(range('bytes=-10')).toEqual({ start: 90, end: 99 });
    expect(range('bytes=-200')).toEqual({ start: 0, end: 99 });
  });
  it('says unsatisfiable past the end, and ignores what it does not serve', () => {
    expect(range('bytes=100-')).toBe('unsatisfiable');
    expect(range('bytes=-0')).toBe('unsatisfiable');
    expect(range('bytes=0-1,5-6')).toBeNull();
    expect(range('items=0-1')).toBeNull();
    expect(range('bytes=5-1')).toBeNull();
    expect(byteRange(req({}), stored, 100)).toBeNull();
  });
  it('honours If-Range only with a strong ETag or the exact Last-Modified', () => {
    const strong = new Headers({ etag: '"v1"', 'last-modified': 'Wed, 01 Jan 2025 00:00:00 GMT' });
    expect(range('bytes=0-1', { 'if-range': '"v1"' }, strong)).toEqual({ start: 0, end: 1 });
    expect(range('bytes=0-1', { 'if-range': '"v2"' }, strong)).toBeNull();
    expect(range('bytes=0-1', { 'if-range': 'W/"abc"' })).toBeNull();
    expect(range('bytes=0-1', { 'if-range': 'Wed, 01 Jan 2025 00:00:00 GMT' }, strong)).toEqual({ start: 0, end: 1 });
    expect(range('bytes=0-1', { 'if-range': 'Thu, 02 Jan 2025 00:00:00 GMT' }, strong)).toBeNull();
  });
});

describe('sliceBody', () => {
  it('keeps the bytes in range across chunks', async () => {
    const chunks = ['abc', 'def', 'ghi'].map((text) => new TextEncoder().encode(text));
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(chunk);
        controller.close();
      },
    });
    expect(await new Response(sliceBody(body, 2, 6)).text()).toBe('cdefg');
  });
});
