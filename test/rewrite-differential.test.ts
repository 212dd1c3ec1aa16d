// The fast link rewriter (src/rewrite/fast-html.ts over the WebAssembly tokenizer,
// html-tokenizer.c) must write exactly what the HTMLRewriter one (src/rewrite/html.ts, the
// reference) writes, whatever the page and however it is cut into chunks. Both run in
// workerd (HTMLRewriter exists nowhere else), in a test-only Worker.
import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startWorkerd, WORKERD_BUNDLE, type RunningWorkerd } from '../scripts/workerd.ts';
import { BASE_PAGE_URL, EDGE_CASES, generatePage, mutatePage, PAGE_URL, random, ROUTES } from './support/html-pages.ts';
import type { RewriteCase, RewriteResult } from './support/rewrite-worker.ts';

let worker: RunningWorkerd;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-rewrite-'));
  const outfile = join(dir, 'rewrite-worker.js');
  await build({ ...WORKERD_BUNDLE, entryPoints: [join(ROOT, 'test/support/rewrite-worker.ts')], outfile });
  worker = await startWorkerd({ script: outfile });
});
afterAll(async () => {
  await worker?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Whole, cut into 1-40 byte pieces (splitting tags, attribute values and UTF-8 sequences), and into 1-2,000 byte pieces. */
function chunkings(seed: number): number[][] {
  const next = random(seed);
  return [[1 << 30], Array.from({ length: 16 }, () => 1 + Math.floor(next() * 40)), Array.from({ length: 16 }, () => 1 + Math.floor(next() * 2000))];
}

async function rewriteBoth(pages: string[], contentType?: string, url = PAGE_URL): Promise<RewriteResult[]> {
  const results: RewriteResult[] = [];
  for (let start = 0; start < pages.length; start += 25) {
    const cases: RewriteCase[] = pages.slice(start, start + 25).map((html, k) => ({ html, routes: ROUTES, url, contentType, chunkings: chunkings(start + k) }));
    const res = await fetch(worker.url, { method: 'POST', body: JSON.stringify(cases) });
    expect(res.status).toBe(200);
    results.push(...((await res.json()) as RewriteResult[]));
  }
  return results;
}

function expectSameOutput(pages: string[], results: RewriteResult[]): void {
  for (const [k, { reference, fast }] of results.entries()) {
    for (const [j, output] of fast.entries()) {
      if (output === reference) continue;
      let at = 0;
      while (output[at] === reference[at]) at++;
      // Name the page, the chunking and the spot, rather than dumping two whole pages.
      expect({ page: k, chunking: j, at, input: pages[k]!.slice(Math.max(0, at - 120), at + 60), got: output.slice(Math.max(0, at - 120), at + 60) }).toEqual({
        page: k,
        chunking: j,
        at,
        input: pages[k]!.slice(Math.max(0, at - 120), at + 60),
        got: reference.slice(Math.max(0, at - 120), at + 60),
      });
    }
  }
}

describe('fast link rewriter = HTMLRewriter rewriter', () => {
  it('on hand-picked edge cases of HTML tokenizing', async () => {
    const results = await rewriteBoth(EDGE_CASES);
    expectSameOutput(EDGE_CASES, results);
    // Both change it, rather than agreeing on leaving it alone.
    const csp = EDGE_CASES.findIndex((page) => page.includes('Content-Security-Policy'));
    expect(results[csp]!.reference).toBe(`<meta http-equiv="Content-Security-Policy" content="img-src http://o.test 'nonce-&quot;x&quot;' 'self'; report-uri /site/csp">`);
  });

  it('on 150 generated pages, each whole and in two random chunkings', async () => {
    const pages = Array.from({ length: 150 }, (_, seed) => generatePage(seed, 40));
    const results = await rewriteBoth(pages);
    expectSameOutput(pages, results);
    // The comparison means something only if the reference rewrote nearly every page.
    expect(results.filter((r, k) => r.reference !== pages[k]).length).toBeGreaterThan(140);
  });

  it('on 100 generated pages of a sticky route with a base path (URLs outside it keep their path)', async () => {
    const pages = Array.from({ length: 100 }, (_, seed) => generatePage(20_000 + seed, 40));
    pages.push(
      '<link rel=stylesheet href="http://c.test/style/s.css"><link rel=stylesheet href="/style/s.css"><img src="http://n.test/other"><a href="/base/in">in</a>' +
        '<a href="https://b.test/other">b</a>',
    );
    const results = await rewriteBoth(pages, undefined, BASE_PAGE_URL);
    expectSameOutput(pages, results);
    expect(results.at(-1)!.reference).toBe(
      '<link rel=stylesheet href="/style/s.css"><link rel=stylesheet href="/style/s.css"><img src="http://n.test/other"><a href="/c/in">in</a><a href="/other">b</a>',
    );
  });

  it('on 300 malformed pages (generated, then broken in random places)', async () => {
    const pages = Array.from({ length: 300 }, (_, seed) => mutatePage(generatePage(10_000 + seed, 15), seed));
    const results = await rewriteBoth(pages);
    expectSameOutput(pages, results);
  });

  it('on large pages (~2,000 links) in small chunks', async () => {
    const pages = [generatePage(9001, 2000), generatePage(9002, 2000)];
    const results = await rewriteBoth(pages);
    expectSameOutput(pages, results);
  });

  it('on tags and SVG styles longer than many chunks (resumed, not rescanned)', async () => {
    const svg = `data:image/svg+xml,${'<svg><path d="M0 0"/></svg>'.repeat(3000)}`;
    const font = `@font-face{src:url(data:font/woff2;base64,${'A'.repeat(60_000)})} a{b:url(http://o.test/x)}`;
    const pages = [
      `<p>x</p><img src="http://o.test/x" data-svg='${svg}' alt=y><a href="/after">a</a>`,
      `<svg><style><![CDATA[${font}]]></style><style>${font}</style></svg><a href="/after">a</a>`,
    ];
    const results = await rewriteBoth(pages);
    expectSameOutput(pages, results);
    expect(results[0]!.reference).toContain('<img src="/site/x"');
  });

  it('on CSS text whose end arrives byte by byte', async () => {
    const css = 'a{b:url(http://o.test/x)}';
    const after = '<a href="http://o.test/y">y</a>';
    const pages = [`<style>${css}</style>${after}`, `<svg><style>${css}</style></svg>${after}`, `<svg><style><![CDATA[${css}]]></style></svg>${after}`];
    const cases: RewriteCase[] = pages.map((html) => ({ html, routes: ROUTES, url: PAGE_URL, chunkings: [[1], [2], [3], [5]] }));
    const res = await fetch(worker.url, { method: 'POST', body: JSON.stringify(cases) });
    const results = (await res.json()) as RewriteResult[];
    expectSameOutput(pages, results);
    for (const { reference } of results) expect(reference).toMatch(/url\(\/site\/x\).*href="\/site\/y"/);
  });

  it('on values the tokenizer hands to JS that start with a byte-order mark', async () => {
    const pages = [
      '<img srcset="\uFEFFhttp://o.test/a 1x, http://o.test/b 2x"><a href="\uFEFFhttp://o.test/c">c</a>',
      '<div style="\uFEFFbackground:url(http://o.test/d)"></div><meta http-equiv=refresh content="\uFEFF0; url=http://o.test/e">',
    ];
    const results = await rewriteBoth(pages);
    expectSameOutput(pages, results);
    expect(results[0]!.reference).toContain('/site/b 2x');
  });

  it('on SVG documents (image/svg+xml): XML declaration, DOCTYPE, CDATA, foreignObject', async () => {
    const css = 'a{fill:url(http://o.test/p.svg#g)} b{background:url(/bg.png)}';
    const pages = [
      `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n` +
        `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10">\n` +
        `<!-- <a href="http://o.test/in-comment"> -->\n<style><![CDATA[${css}]]></style>\n` +
        `<a xlink:href="http://o.test/w/One"><text>one</text></a>\n<a href="/w/Two"><text>two</text></a>\n` +
        `<image href="http://o.test/i/1.png" width="1" height="1"/>\n<use xlink:href="http://o.test/sprite.svg#icon"/>\n` +
        `<filter id="f"><feImage href="//o.test/f.png"/></filter>\n<text><textPath href="#p">x</textPath></text>\n` +
        `<script><![CDATA[ if (a < b) location.href = "http://o.test/in-script"; ]]></script>\n` +
        `<foreignObject><div xmlns="http://www.w3.org/1999/xhtml"><a href="http://o.test/html">h</a><img src="/i.png" srcset="http://o.test/a.png 2x"/></div></foreignObject>\n` +
        `<linearGradient id="g" style="fill:url(http://o.test/g.svg#x)"/>\n</svg>\n`,
      `<svg xmlns="http://www.w3.org/2000/svg"><style>${css}</style><a href="https://b.test/base/x">b</a></svg>`,
    ];
    const results = await rewriteBoth(pages, 'image/svg+xml');
    expectSameOutput(pages, results);
    const [svg] = results;
    for (const rewritten of ['xlink:href="/site/w/One"', 'href="/site/w/Two"', 'href="/site/i/1.png"', 'xlink:href="/site/sprite.svg#icon"', 'href="/site/f.png"', 'url(/site/p.svg#g)', 'href="/site/html"', '/site/a.png 2x', 'url(/site/g.svg#x)']) {
      expect(svg!.reference).toContain(rewritten);
    }
    // Comments and script text are not markup.
    expect(svg!.reference).toContain('"http://o.test/in-script"');
    expect(svg!.reference).toContain('"http://o.test/in-comment"');
    expect(results[1]!.reference).toContain('href="/b/x"');
  });

  it('leaves other charsets to HTMLRewriter', async () => {
    const page = '<a href="http://o.test/x">caf\u00e9</a>';
    const [result] = await rewriteBoth([page], 'text/html; charset=windows-1252');
    expect(result!.fast).toEqual([result!.reference, result!.reference, result!.reference]);
    expect(result!.reference).toContain('href="/site/x"');
  });
});
