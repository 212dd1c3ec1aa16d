// HTML link rewriting with HTMLRewriter: the reference the WebAssembly rewriter (fast-html.ts)
// is held to, and the rewriter for pages in other charsets than UTF-8. Streaming, and stopping
// only at elements that can carry a URL. The mapping itself lives in links.ts.
import { baseFrom, mapCss, mapSrcset, mapUrl, SRCSET_ATTRIBUTES, URL_ATTRIBUTES, type LinkTable } from './links.ts';
import { mapMetaContent } from './meta.ts';

const selector = (elements: readonly string[], attribute: string) =>
  elements.map((element) => `${element}[${attribute.replace(':', '\\:')}]`).join(', ');

/** Subresource integrity is over bytes this gateway may rewrite: a rewritten URL drops it. */
const INTEGRITY_ELEMENTS = new Set(['script', 'link']);

/** `documentUrl`: the upstream URL the page came from; root-relative links are relative to it. */
export function rewriteHtml(body: ReadableStream, contentType: string, documentUrl: URL, table: LinkTable): ReadableStream {
  let base = documentUrl;
  let baseSeen = false;
  const rewriter = new HTMLRewriter();

  rewriter.on('base[href]', {
    element(element) {
      const href = element.getAttribute('href')!;
      // Only the first <base href> counts, and it is itself relative to the document.
      if (!baseSeen) {
        baseSeen = true;
        base = baseFrom(href, documentUrl);
      }
      const mapped = mapUrl(href, documentUrl, table);
      if (mapped !== null) element.setAttribute('href', mapped);
    },
  });

  for (const { attribute, elements } of URL_ATTRIBUTES) {
    rewriter.on(selector(elements, attribute), {
      element(element) {
        const mapped = mapUrl(element.getAttribute(attribute)!, base, table);
        if (mapped === null) return;
        element.setAttribute(attribute, mapped);
        if (INTEGRITY_ELEMENTS.has(element.tagName)) element.removeAttribute('integrity');
      },
    });
  }

  for (const { attribute, elements } of SRCSET_ATTRIBUTES) {
    rewriter.on(selector(elements, attribute), {
      element(element) {
        const mapped = mapSrcset(element.getAttribute(attribute)!, base, table);
        if (mapped !== null) element.setAttribute(attribute, mapped);
      },
    });
  }

  rewriter.on('meta[http-equiv][content]', {
    element(element) {
      const mapped = mapMetaContent(element.getAttribute('http-equiv')!, element.getAttribute('content')!, base, table);
      if (mapped !== null) element.setAttribute('content', mapped);
    },
  });

  rewriter.on('[style]', {
    element(element) {
      const style = element.getAttribute('style')!;
      const mapped = mapCss(style, base, table);
      if (mapped !== style) element.setAttribute('style', mapped);
    },
  });

  // <style> text arrives in chunks: gather it, then write it back rewritten in one piece.
  let css = '';
  rewriter.on('style', {
    text(text) {
      css += text.text;
      if (!text.lastInTextNode) {
        text.remove();
        return;
      }
      text.replace(mapCss(css, base, table), { html: true });
      css = '';
    },
  });

  return rewriter.transform(new Response(body, { headers: { 'content-type': contentType } })).body!;
}
