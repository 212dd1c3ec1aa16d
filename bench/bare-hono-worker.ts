// The baseline the pass-through targets are set against: a bare pass-through on the same Hono
// (hono/tiny, as switchyard uses) in the same workerd, so the ratio prices switchyard's
// features alone. bare-worker.js, with no framework at all, is reported beside it.
import { Hono } from 'hono/tiny';

const app = new Hono<{ Bindings: { ORIGIN: string } }>();
app.all('*', (c) => {
  const url = new URL(c.req.url);
  return fetch(c.env.ORIGIN + url.pathname + url.search, c.req.raw);
});

export default app;
