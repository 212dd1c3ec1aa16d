import { describe, expect, it } from 'vitest';
import { bases, table, values } from '../../test/support/url-values.ts';
import { mapUrlInTokenizer } from './fast-html.ts';
import { mapUrlParsed } from './links.ts';

// The tokenizer's output as a whole is held to HTMLRewriter's by test/rewrite-differential.test.ts.
describe('the tokenizer maps URL values itself', () => {
  it('exactly as the parser does, or leaves them to JS', () => {
    let mapped = 0;
    let left = 0;
    for (const baseText of bases) {
      const base = new URL(baseText);
      for (const value of values) {
        const got = mapUrlInTokenizer(value, base, table);
        if (got === undefined) {
          left++;
          continue;
        }
        if (got !== null) mapped++;
        expect({ value, base: baseText, got }).toEqual({ value, base: baseText, got: mapUrlParsed(value, base, table) });
      }
    }
    // Most values tried are odd spellings meant for the parser; the plain ones it must take.
    expect(mapped).toBeGreaterThan(500);
    expect(left).toBeLessThan(values.length * bases.length);
  });

  it('maps the common forms without JS', () => {
    const base = new URL('http://127.0.0.1:8080/dir/page.html');
    expect(mapUrlInTokenizer('http://127.0.0.1:8080/w/1?x=1#h', base, table)).toBe('/site/w/1?x=1#h');
    expect(mapUrlInTokenizer('/img/a.png', base, table)).toBe('/site/img/a.png');
    expect(mapUrlInTokenizer('https://elsewhere.test/', base, table)).toBeNull();
    expect(mapUrlInTokenizer('img/a.png', base, table)).toBeNull();
    expect(mapUrlInTokenizer('mailto:a@b.test', base, table)).toBeNull();
    // the parser's to judge
    expect(mapUrlInTokenizer('http://127.1:8080/x', base, table)).toBeUndefined();
    expect(mapUrlInTokenizer('/a/../b', base, table)).toBeUndefined();
  });
});
