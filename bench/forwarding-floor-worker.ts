// The least a pass-through can do and still keep routes.md's promises for every request:
// client-sent X-Forwarded-* and Forwarded dropped, X-Forwarded-For/-Proto/-Host, Via and
// CDN-Loop set, a timeout on the upstream fetch, redirects passed back. Nothing else: no
// routing, no config, no checks. Its cost over the bare Hono Worker is the floor under
// switchyard's pass-through ratio (npm run bench:instructions).
import { Hono } from 'hono/tiny';

const app = new Hono<{ Bindings: { ORIGIN: string } }>();
app.all('*', (c) => {
  const request = c.req.raw;
  const url = new URL(request.url);
  const headers = new Headers(request.headers);
  for (const name of request.headers.keys()) if (name.startsWith('x-forwarded-') || name === 'forwarded') headers.delete(name);
  const clientIp = (request.cf as { clientIp?: string } | undefined)?.clientIp ?? request.headers.get('cf-connecting-ip');
  if (clientIp) headers.append('x-forwarded-for', clientIp);
  headers.append('x-forwarded-proto', url.protocol.slice(0, -1));
  headers.append('x-forwarded-host', request.headers.get('host') ?? url.host);
  headers.append('via', '1.1 floor');
  headers.append('cdn-loop', 'floor');
  return fetch(c.env.ORIGIN + url.pathname + url.search, {
    method: request.method,
    headers,
    body: request.body,
    redirect: 'manual',
    signal: AbortSignal.timeout(30_000),
  });
});

export default app;
