// Test-only Worker: runs the reference (HTMLRewriter) and the fast link rewriter over the
// same page, each fed in the chunks the test asks for, and returns both outputs. HTMLRewriter
// exists only in workerd, so the differential test runs its comparisons here.
import { compileConfig } from '../../src/config/compile.ts';
import { rewriteHtml as fastRewrite } from '../../src/rewrite/fast-html.ts';
import { rewriteHtml as referenceRewrite } from '../../src/rewrite/html.ts';
import { linkTable } from '../../src/rewrite/links.ts';

export interface RewriteCase {
  html: string;
  routes: unknown;
  /** the upstream URL the page came from */
  url: string;
  contentType?: string;
  /** byte lengths to cut the page into, per run of the fast rewriter */
  chunkings: number[][];
}

export interface RewriteResult {
  reference: string;
  fast: string[];
}

function streamOf(bytes: Uint8Array, sizes: number[]): ReadableStream<Uint8Array> {
  let offset = 0;
  let k = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      const size = Math.max(1, sizes[k++ % Math.max(1, sizes.length)] ?? bytes.length);
      controller.enqueue(bytes.slice(offset, offset + size));
      offset += size;
    },
  });
}

export default {
  async fetch(request: Request): Promise<Response> {
    const cases = (await request.json()) as RewriteCase[];
    const results: RewriteResult[] = [];
    for (const c of cases) {
      const compiled = compileConfig(c.routes, {});
      if (!compiled.ok) return Response.json({ error: compiled.problems }, { status: 400 });
      const table = linkTable(compiled.gateway);
      const bytes = new TextEncoder().encode(c.html);
      const contentType = c.contentType ?? 'text/html; charset=utf-8';
      const documentUrl = new URL(c.url);
      const reference = await new Response(referenceRewrite(streamOf(bytes, [bytes.length]), contentType, documentUrl, table)).text();
      const fast: string[] = [];
      for (const sizes of c.chunkings) fast.push(await new Response(fastRewrite(streamOf(bytes, sizes), contentType, documentUrl, table)).text());
      results.push({ reference, fast });
    }
    return Response.json(results);
  },
};
