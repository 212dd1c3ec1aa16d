import { describe, expect, it } from 'vitest';
import { serveAsset } from './assets.ts';

describe('serveAsset', () => {
  it('answers a lookup the assets service throws on as no file (the gateway’s 404), not a failure', async () => {
    const ASSETS = { fetch: () => Promise.reject(new TypeError('Invalid URL')) };
    await expect(serveAsset(new Request('http://localhost/x'), { ASSETS })).resolves.toBeNull();
    const throwing = { fetch: () => { throw new TypeError('Invalid URL'); } };
    await expect(serveAsset(new Request('http://localhost/x'), { ASSETS: throwing })).resolves.toBeNull();
  });

  it('serves what the assets service finds, and nothing for its 404', async () => {
    const ASSETS = { fetch: async (request: Request) => (new URL(request.url).pathname === '/app.js' ? new Response('js', { headers: { 'content-type': 'text/javascript' } }) : new Response('', { status: 404 })) };
    expect(await (await serveAsset(new Request('http://localhost/app.js'), { ASSETS }))!.text()).toBe('js');
    expect(await serveAsset(new Request('http://localhost/none'), { ASSETS })).toBeNull();
  });
});
