import { describe, expect, it } from 'vitest';
import { DEFAULT_SUBSTITUTION_TYPES } from '../config/compile.ts';
import { bodyRewritable, charsetOf, mimeOf, sniffCharset, typeMatches } from './body.ts';

describe('content types', () => {
  it('reads the media type and charset', () => {
    expect(mimeOf('Text/HTML; charset=UTF-8')).toBe('text/html');
    expect(mimeOf(null)).toBe('');
    expect(charsetOf('text/html; charset="ISO-8859-1"')).toBe('iso-8859-1');
    expect(charsetOf('text/html')).toBe(null);
  });

  it('matches exact types and type/* patterns', () => {
    expect(typeMatches(['text/css'], 'text/css')).toBe(true);
    expect(typeMatches(['text/*'], 'text/plain')).toBe(true);
    expect(typeMatches(['*/*'], 'image/png')).toBe(true);
    expect(typeMatches(['text/css', 'application/json'], 'text/html')).toBe(false);
    expect(typeMatches(['text/*'], 'texts/x')).toBe(false);
  });

  it('matches structured-syntax suffixes, and the defaults cover manifests and feeds', () => {
    expect(typeMatches(['application/*+json'], 'application/ld+json')).toBe(true);
    expect(typeMatches(['application/*+json'], 'text/x+json')).toBe(false);
    expect(typeMatches(['*/*+xml'], 'application/rss+xml')).toBe(true);
    expect(typeMatches(['*/*+xml'], 'application/xml')).toBe(false);
    for (const mime of ['application/manifest+json', 'application/ld+json', 'application/vnd.api+json', 'application/rss+xml', 'application/atom+xml', 'application/x-javascript', 'text/json'])
      expect(typeMatches(DEFAULT_SUBSTITUTION_TYPES, mime), mime).toBe(true);
    for (const mime of ['image/png', 'application/octet-stream', 'application/pdf']) expect(typeMatches(DEFAULT_SUBSTITUTION_TYPES, mime), mime).toBe(false);
  });
});

describe('sniffCharset', () => {
  const bytes = (text: string) => new TextEncoder().encode(text);
  it('finds <meta charset> and the http-equiv form in the first bytes', () => {
    expect(sniffCharset(bytes('<html><meta charset="ISO-8859-1">'))).toBe('iso-8859-1');
    expect(sniffCharset(bytes("<meta http-equiv=Content-Type content='text/html; charset=windows-1252'>"))).toBe('windows-1252');
  });
  it('takes an XML declaration’s encoding, only at the very start', () => {
    expect(sniffCharset(bytes(`<?xml version="1.0" encoding='ISO-8859-1'?><svg/>`))).toBe('iso-8859-1');
    expect(sniffCharset(bytes('<?xml version="1.0"?><svg/>'))).toBe('utf-8');
    expect(sniffCharset(bytes(' <?xml version="1.0" encoding="latin1"?>'))).toBe('utf-8');
    expect(sniffCharset(bytes('<p>x</p><?xml version="1.0" encoding="latin1"?>'))).toBe('utf-8');
  });
  it('falls back to UTF-8, also for UTF-16 labels and past 1024 bytes', () => {
    expect(sniffCharset(bytes('<p>no meta</p>'))).toBe('utf-8');
    expect(sniffCharset(bytes('<meta charset=utf-16le>'))).toBe('utf-8');
    expect(sniffCharset(bytes(' '.repeat(1024) + '<meta charset=latin1>'))).toBe('utf-8');
  });
});

describe('bodyRewritable', () => {
  const headers = (encoding?: string) => new Headers(encoding ? { 'content-encoding': encoding } : {});

  it('refuses bodies that are absent, partial or not the full representation', () => {
    expect(bodyRewritable('HEAD', 200, headers())).toBe(false);
    for (const status of [101, 204, 205, 206, 304]) expect(bodyRewritable('GET', status, headers()), String(status)).toBe(false);
    expect(bodyRewritable('GET', 200, headers())).toBe(true);
    expect(bodyRewritable('POST', 404, headers())).toBe(true);
  });

  it('accepts only encodings the runtime has decoded', () => {
    expect(bodyRewritable('GET', 200, headers('gzip'))).toBe(true);
    expect(bodyRewritable('GET', 200, headers('br'))).toBe(true);
    expect(bodyRewritable('GET', 200, headers('zstd'))).toBe(false);
    expect(bodyRewritable('GET', 200, headers('deflate'))).toBe(false);
  });
});
