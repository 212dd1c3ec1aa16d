import { describe, expect, it } from 'vitest';
import { bases, table, values } from '../../test/support/url-values.ts';
import { mapUrl, mapUrlParsed } from './links.ts';

describe('mapUrl without the URL parser', () => {
  it('agrees with the parser on every value, base and route table tried', () => {
    let mapped = 0;
    for (const baseText of bases) {
      const base = new URL(baseText);
      for (const value of values) {
        const expected = mapUrlParsed(value, base, table);
        if (expected !== null) mapped++;
        expect({ value, base: baseText, got: mapUrl(value, base, table) }).toEqual({ value, base: baseText, got: expected });
      }
    }
    // The comparison means something only if plenty of values do map.
    expect(mapped).toBeGreaterThan(500);
  });

  it('maps the common forms', () => {
    const base = new URL('http://127.0.0.1:8080/page');
    expect(mapUrl('http://127.0.0.1:8080/w/1', base, table)).toBe('/site/w/1');
    expect(mapUrl('https://api.example.com/v1/u?x=1#h', base, table)).toBe('/api/u?x=1#h');
    // protocol-relative takes the page's scheme: this page is http, the API https
    expect(mapUrl('//api.example.com/v1/u', base, table)).toBeNull();
    expect(mapUrl('//api.example.com/v1/u', new URL('https://o.test/'), table)).toBe('/api/u');
    expect(mapUrl('/img/a.png', base, table)).toBe('/site/img/a.png');
    expect(mapUrl('https://elsewhere.test/', base, table)).toBeNull();
    expect(mapUrl('img/a.png', base, table)).toBeNull();
  });
});
