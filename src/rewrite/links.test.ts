import { describe, expect, it } from 'vitest';
import { gatewayOf } from '../test-routes.ts';
import { baseFrom, linkTable, mapCss, mapRefresh, mapSrcset, mapUrl, mapUrlParsed, SUBSTITUTED, unmarkStep } from './links.ts';

const gw = gatewayOf([
  { path: '/intranet', origin: 'http://10.1.2.3' },
  { path: '/static', origin: 'https://cdn.example.com/assets' },
  { path: '/full', origin: 'http://full.example', stripPrefix: false },
  { path: '/fixed', origin: 'https://fixed.example/base', sticky: false },
]);
const table = linkTable(gw);
const page = new URL('http://10.1.2.3/docs/page.html');
const map = (value: string, base = page) => mapUrl(value, base, table);

describe('mapUrl', () => {
  it('maps absolute URLs at a configured origin to its route', () => {
    expect(map('http://10.1.2.3/img/a.png')).toBe('/intranet/img/a.png');
    expect(map('http://10.1.2.3')).toBe('/intranet/');
    expect(map('https://cdn.example.com/assets/x.css?v=1#top')).toBe('/static/x.css?v=1#top');
    expect(map('HTTP://10.1.2.3:80/a')).toBe('/intranet/a');
  });

  it('maps protocol-relative URLs, with either slash', () => {
    expect(map('//cdn.example.com/assets/app.js', new URL('https://10.1.2.3/'))).toBe('/static/app.js');
    expect(map('//10.1.2.3/a')).toBe('/intranet/a');
    expect(map('\\\\10.1.2.3/a')).toBe('/intranet/a');
  });

  it('maps root-relative URLs relative to the origin that sent them', () => {
    expect(map('/img/a.png')).toBe('/intranet/img/a.png');
    expect(map('/assets/y.png', new URL('https://cdn.example.com/assets/page'))).toBe('/static/y.png');
  });

  it('keeps the path of a URL on a sticky route\'s origin outside every base path, as its root-relative spelling', () => {
    const cdnPage = new URL('https://cdn.example.com/assets/page');
    expect(map('https://cdn.example.com/style/s.css?v=2#x', cdnPage)).toBe('/style/s.css?v=2#x');
    expect(map('//cdn.example.com/style/s.css', cdnPage)).toBe('/style/s.css');
    expect(map('/style/s.css', cdnPage)).toBe('/style/s.css');
    expect(map('https://cdn.example.com', cdnPage)).toBe('/');
    expect(map('https://cdn.example.com/assetsx/y')).toBe('/assetsx/y');
    expect(map('http://full.example/other')).toBe('/other');
  });

  it('leaves such a URL alone on the origin of routes that are not sticky', () => {
    expect(map('https://fixed.example/other')).toBe(null);
    expect(map('/other', new URL('https://fixed.example/base/page'))).toBe(null);
    expect(map('https://fixed.example/base/x')).toBe('/fixed/x');
  });

  it('keeps the full path for stripPrefix: false', () => {
    expect(map('http://full.example/full/a')).toBe('/full/a');
  });

  it('leaves foreign, relative and non-http URLs alone', () => {
    for (const value of ['https://elsewhere.org/x', 'img/a.png', '../a', '?q=1', '#frag', 'mailto:a@b.c', 'javascript:void(0)', 'data:image/png;base64,AAAA', '', 'http://[bad']) {
      expect(map(value), value).toBe(null);
    }
    expect(map('https://10.1.2.3/a')).toBe(null); // other scheme, other origin
  });

  it('trims whitespace around the value, as browsers do', () => {
    expect(map('  http://10.1.2.3/a \n')).toBe('/intranet/a');
  });

  it('caches one table per compiled config', () => {
    expect(linkTable(gw)).toBe(table);
  });
});

describe('mapSrcset', () => {
  it('maps each candidate and keeps descriptors and spacing', () => {
    expect(mapSrcset('http://10.1.2.3/a.png 1x, /b.png 2x', page, table)).toBe('/intranet/a.png 1x, /intranet/b.png 2x');
    expect(mapSrcset('  /a.png   480w ,\n /b.png 800w', page, table)).toBe('  /intranet/a.png   480w ,\n /intranet/b.png 800w');
  });

  it('handles candidates without descriptors and trailing commas', () => {
    expect(mapSrcset('/a.png, /b.png 2x', page, table)).toBe('/intranet/a.png, /intranet/b.png 2x');
    expect(mapSrcset('/a.png 1x,/b.png 2x', page, table)).toBe('/intranet/a.png 1x,/intranet/b.png 2x');
    // A comma with no space after it is part of the URL, as HTML parses srcset.
    expect(mapSrcset('/a.png,/b.png 2x', page, table)).toBe('/intranet/a.png,/b.png 2x');
    expect(mapSrcset('/a.png', page, table)).toBe('/intranet/a.png');
  });

  it('keeps commas inside a URL', () => {
    expect(mapSrcset('/img?size=1,2 1x, https://other.org/x,y.png 2x', page, table)).toBe('/intranet/img?size=1,2 1x, https://other.org/x,y.png 2x');
  });

  it('returns null when nothing changes', () => {
    expect(mapSrcset('a.png 1x, https://other.org/b.png 2x', page, table)).toBe(null);
  });
});

describe('mapCss', () => {
  it('rewrites url() with and without quotes', () => {
    const css = `a{background:url(/a.png)} b{background:url("/b.png")} c{background:url( '/c.png' )} d{background:URL(http://10.1.2.3/d.png)}`;
    expect(mapCss(css, page, table)).toBe(
      `a{background:url(/intranet/a.png)} b{background:url("/intranet/b.png")} c{background:url( '/intranet/c.png' )} d{background:URL(/intranet/d.png)}`,
    );
  });

  it('rewrites @import in string and url() form', () => {
    expect(mapCss(`@import "/base.css"; @import url('/more.css') screen; @import 'rel.css';`, page, table)).toBe(
      `@import "/intranet/base.css"; @import url('/intranet/more.css') screen; @import 'rel.css';`,
    );
  });

  it('leaves data URLs, relative and foreign URLs alone', () => {
    const css = `a{background:url(data:image/png;base64,AAA=)} b{background:url(img/b.png)} c{background:url(https://other.org/c.png)}`;
    expect(mapCss(css, page, table)).toBe(css);
  });

  it('rewrites image-set() candidates, strings and url() alike, and not type()', () => {
    const css = `a{background-image:image-set("/a.png" 1x, url(http://10.1.2.3/b.png) 2x, 'https://cdn.example.com/assets/c.avif' type("image/avif"), "rel.png" 3x)}`;
    expect(mapCss(css, page, table)).toBe(
      `a{background-image:image-set("/intranet/a.png" 1x, url(/intranet/b.png) 2x, '/static/c.avif' type("image/avif"), "rel.png" 3x)}`,
    );
    expect(mapCss(`b{background:-webkit-image-set( '/x.png' 1x,'/y.png' 2x )}`, page, table)).toBe(`b{background:-webkit-image-set( '/intranet/x.png' 1x,'/intranet/y.png' 2x )}`);
    // Unclosed: no candidate list to read, so nothing but its url() changes.
    expect(mapCss(`c{background:image-set("/a.png" 1x, url(/b.png)`, page, table)).toBe(`c{background:image-set("/a.png" 1x, url(/intranet/b.png)`);
  });
});

describe('mapRefresh', () => {
  it('maps the URL part of every common form', () => {
    expect(mapRefresh('5; url=http://10.1.2.3/next', page, table)).toBe('5; url=/intranet/next');
    expect(mapRefresh("0;URL='/next'", page, table)).toBe("0;URL='/intranet/next'");
    expect(mapRefresh('3, /next', page, table)).toBe('3, /intranet/next');
    expect(mapRefresh('1; URL = "http://10.1.2.3/x" ', page, table)).toBe('1; URL = "/intranet/x" ');
  });

  it('returns null without a URL or for a foreign one', () => {
    expect(mapRefresh('5', page, table)).toBe(null);
    expect(mapRefresh('5; url=https://other.org/', page, table)).toBe(null);
  });
});

describe('baseFrom', () => {
  it('resolves <base href> against the document', () => {
    expect(baseFrom('/sub/', page).href).toBe('http://10.1.2.3/sub/');
    expect(baseFrom('https://cdn.example.com/assets/', page).href).toBe('https://cdn.example.com/assets/');
    expect(baseFrom('http://[bad', page)).toBe(page);
  });
});

describe('substituted text', () => {
  it('is never mapped again', async () => {
    const { SUBSTITUTED } = await import('./links.ts');
    expect(map(`${SUBSTITUTED}/intranet/img/a.png`)).toBe(null);
    expect(mapCss(`a{background:url(${SUBSTITUTED}/intranet/a.png)}`, page, table)).toBe(`a{background:url(${SUBSTITUTED}/intranet/a.png)}`);
  });
});

describe('the fast path of mapUrl', () => {
  const fuzzGateway = gatewayOf([
    { path: '/intranet', origin: 'http://10.1.2.3' },
    { path: '/ex', origin: 'https://example.com:8443/base' },
    { path: '/plain', origin: 'http://example.com' },
  ]);
  const fuzzTable = linkTable(fuzzGateway);
  const bases = [new URL('http://10.1.2.3/docs/p.html'), new URL('https://example.com:8443/base/x'), new URL('http://example.com/')];

  it('equals the URL parser on tricky values', () => {
    const values = [
      '/a', '/', '//10.1.2.3/a', 'http://10.1.2.3', 'HTTP://10.1.2.3:80/A?b#c', 'http://10.1.2.3:080/a', 'http://10.1.2.3:65536/',
      'http://10.1.2.3./a', 'http://0x0a.1.2.3/a', 'http://10.1.515/a', 'http://012.1.2.3/', 'https://EXAMPLE.com:8443/base/y',
      'https://example.com:08443/base', 'http://example.com./x', 'http://exa..mple.com/', 'http://user@example.com/',
      '/a/../b', '/a/./b', '/a/%2e%2e/b', '/a/.%2E/b', '/a/%2E/b', '/a b', '/a\tb', '/ä', '/a?q=\'x\'', "/a'b", '/a?', '/a#', '/a?#',
      '/a?b?c#d#e', '/\\x', '//example.com', '//example.com:80', 'https://example.com/base', 'https://example.com:8443/basement',
      'ftp://10.1.2.3/', 'mailto:x', 'data:,x', '?x', '#y', 'rel/x', '', 'http:', 'http:/x', 'http:x', 'http://', 'http://:80/',
      '/a%zz', '/a%2F', '/a|b', '/a[b]', '/a{b}', '/a^b', '/a`b', '/a"b', '/a<b>', 'http://10.1.2.3:/a', '//10.1.2.3:0/',
    ];
    for (const base of bases) {
      for (const value of values) expect(mapUrl(value, base, fuzzTable), `${value} @ ${base}`).toBe(mapUrlParsed(value, base, fuzzTable));
    }
  });

  it('equals the URL parser on random values', () => {
    const pieces = ['/', '//', '.', '..', '%2e', '%2F', '?', '#', 'a', 'Z', '0', ':', '80', '8443', '@', "'", '\\', ' ', 'ä', '10.1.2.3', 'example.com', 'http:', 'https:', 'base', '-', '~', '%'];
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 20000; i++) {
      let value = '';
      const length = 1 + Math.floor(random() * 8);
      for (let j = 0; j < length; j++) value += pieces[Math.floor(random() * pieces.length)];
      const base = bases[i % bases.length]!;
      expect(mapUrl(value, base, fuzzTable), `${value} @ ${base}`).toBe(mapUrlParsed(value, base, fuzzTable));
    }
  });
});

describe('markGatewayPath', () => {
  it('marks results that are gateway paths, and nothing else', async () => {
    const { markGatewayPath, SUBSTITUTED } = await import('./links.ts');
    expect(markGatewayPath('/intranet/a')).toBe(`${SUBSTITUTED}/intranet/a`);
    for (const text of ['src=', 'http://10.1.2.3', '//cdn/x', '\\\\x', '', 'a/b']) expect(markGatewayPath(text)).toBe(text);
  });
});

describe('unmarkStep', () => {
  const encoder = new TextEncoder();
  /** The text through a fresh step, cut into chunks at `cuts` (byte offsets). */
  const unmark = (text: string, cuts: number[] = []) => {
    const bytes = encoder.encode(text);
    const step = unmarkStep();
    const out: number[] = [];
    let from = 0;
    for (const cut of [...cuts, bytes.length]) {
      out.push(...(step(bytes.slice(from, cut)) ?? []));
      from = cut;
    }
    out.push(...(step(undefined) ?? []));
    return new TextDecoder().decode(Uint8Array.from(out));
  };

  it('removes every marker, wherever the chunks are cut', () => {
    const text = `a${SUBSTITUTED}/intranet ü ${SUBSTITUTED}/b`;
    const length = encoder.encode(text).length;
    for (let cut = 0; cut <= length; cut++) expect(unmark(text, [cut]), `cut at ${cut}`).toBe('a/intranet ü /b');
    expect(unmark(text, Array.from({ length }, (_, i) => i))).toBe('a/intranet ü /b');
  });

  it('keeps characters that share the marker’s first bytes, and a page without markers as it is', () => {
    for (const text of ['\uFDD1\uFEFF\uFFFD 前缀', 'plain', '']) expect(unmark(text, [1, 2])).toBe(text);
    // A marker's first two bytes at the very end are not a marker.
    const step = unmarkStep();
    expect([...step(Uint8Array.of(0x61, 0xef, 0xb7))!]).toEqual([0x61]);
    expect([...step(undefined)!]).toEqual([0xef, 0xb7]);
  });
});
