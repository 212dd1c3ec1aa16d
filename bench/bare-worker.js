// The baseline: the least a Worker can do to proxy, with no framework and no features.
// switchyard's pass-through is measured against this in the same workerd.
//
// Under the rewriting prefixes (/site/, /subst/) it also streams the body through
// JavaScript unchanged, read the way switchyard's rewriters read it (64 KiB reads): what
// any streaming rewriter written in JS pays before it looks at a byte, so the ceiling for
// the rewriting cases.
const REWRITING = /^\/(?:site|subst)(?=\/)/;

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const prefix = REWRITING.exec(url.pathname)?.[0];
    if (!prefix) return fetch(env.ORIGIN + url.pathname + url.search, request);
    const upstream = await fetch(env.ORIGIN + url.pathname.slice(prefix.length) + url.search, request);
    const reader = upstream.body.getReader({ mode: 'byob' });
    const body = new ReadableStream({
      async pull(controller) {
        const { done, value } = await reader.read(new Uint8Array(65536));
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    });
    return new Response(body, upstream);
  },
};
