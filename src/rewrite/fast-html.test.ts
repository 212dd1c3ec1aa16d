import { describe, expect, it } from 'vitest';
import { table } from '../../test/support/url-values.ts';
import { rewriteHtml, tokenizerMemory } from './fast-html.ts';

const PAGE = new URL('http://127.0.0.1:8080/dir/page.html');
const encoder = new TextEncoder();

/** `html` as a body arriving `size` bytes at a time. */
function chunked(html: string, size: number): ReadableStream<Uint8Array> {
  const bytes = encoder.encode(html);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, (at += size)));
    },
  });
}

// Output equality with HTMLRewriter is test/rewrite-differential.test.ts's (it needs workerd);
// these pin how the streaming glue in fast-html.ts holds up on large constructs.
describe('the WebAssembly link rewriter on large constructs', () => {
  const rule = 'a{background:url(http://127.0.0.1:8080/img.png)}\n';
  const stylesheet = rule.repeat(Math.ceil((8 << 20) / rule.length));
  const after = '<a href="http://127.0.0.1:8080/next">next</a>';

  // Only each chunk's new bytes are searched for the end tag: passing everything kept so far
  // again with every 1 KiB chunk would make the work quadratic in the construct's size.
  it.each([
    ['<style>', '</style>'],
    ['<svg><style>', '</style></svg>'],
    ['<svg><style><![CDATA[', ']]></style></svg>'],
  ])('rewrites an 8 MiB %s arriving 1 KiB at a time, in time linear in its size', async (open, close) => {
    const html = `<p>${open}${stylesheet}${close}${after}`;
    const out = await new Response(rewriteHtml(chunked(html, 1024), 'text/html', PAGE, table)).text();
    expect(out.length).toBe(html.length - ('http://127.0.0.1:8080'.length - '/site'.length) * (stylesheet.length / rule.length + 1));
    expect(out.startsWith(`<p>${open}a{background:url(/site/img.png)}\n`)).toBe(true);
    expect(out.endsWith(`${close}<a href="/site/next">next</a>`)).toBe(true);
  }, 30_000);

  it('lets go of the memory a huge construct needed, and carries on with responses begun before', async () => {
    // A response left midway (inside a tag, inside an <svg>) while a huge one passes.
    const begun = new TextEncoder().encode('<svg><a href="http://127.0.0.1:8080/a" title="x');
    let resume!: ReadableStreamDefaultController<Uint8Array>;
    const slow = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(begun);
        resume = controller;
      },
    });
    const reader = new Response(rewriteHtml(slow, 'text/html', PAGE, table)).text();
    await new Promise((resolve) => setTimeout(resolve, 10));

    const huge = `<style>${stylesheet}</style>`;
    const out = await new Response(rewriteHtml(chunked(huge, 64 << 10), 'text/html', PAGE, table)).text();
    expect(out).toContain('url(/site/img.png)');
    expect(tokenizerMemory()).toBeLessThanOrEqual(8 << 20);

    resume.enqueue(encoder.encode('"></a><style>b{c:url(/d)}</style></svg><img src="/e">'));
    resume.close();
    expect(await reader).toBe('<svg><a href="/site/a" title="x"></a><style>b{c:url(/site/d)}</style></svg><img src="/site/e">');
  }, 30_000);
});
