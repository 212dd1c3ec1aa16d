import { describe, expect, it } from 'vitest';
import { hostPreserving, originBindingName } from './preserve-host.ts';

// Only its identity matters here: hostPreserving picks it, forward.ts calls it.
const binding = { fetch: async () => new Response('unused') };
const ORIGIN = 'http://127.0.0.1:8080';
const env = { [originBindingName(ORIGIN)]: binding };

describe('hostPreserving', () => {
  it('goes through the origin\'s binding (npm run serve) with the client\'s Host as sent in the URL', () => {
    expect(hostPreserving(env, ORIGIN, `${ORIGIN}/v1/x?q=1`, 'app.example.test')).toEqual({ url: 'http://app.example.test/v1/x?q=1', via: binding });
    expect(hostPreserving(env, ORIGIN, `${ORIGIN}/`, 'App.Example.test:8443')).toEqual({ url: 'http://App.Example.test:8443/', via: binding });
    expect(hostPreserving(env, ORIGIN, `${ORIGIN}/`, '[::1]:3000').url).toBe('http://[::1]:3000/');
  });

  it('keeps the origin\'s own Host when the client\'s is missing or could change the path', () => {
    for (const host of [null, '', 'evil.example/x?', 'a@b', 'a b', 'a:b:c'])
      expect(hostPreserving(env, ORIGIN, `${ORIGIN}/v1/x`, host), String(host)).toEqual({ url: `${ORIGIN}/v1/x`, via: binding });
  });

  it('elsewhere asks Cloudflare to connect to the origin (cf.resolveOverride) for a URL naming the client\'s host', () => {
    expect(hostPreserving({}, 'https://origin.internal:8443', 'https://origin.internal:8443/v1/x', 'www.example.com')).toEqual({
      url: 'https://www.example.com:8443/v1/x',
      via: globalThis,
      resolveOverride: 'origin.internal',
    });
    expect(hostPreserving({}, ORIGIN, `${ORIGIN}/x`, '127.0.0.1:9999')).toEqual({ url: `${ORIGIN}/x`, via: globalThis });
  });

  it('names its binding by the origin', () => {
    expect(originBindingName('https://a.example')).toBe('switchyard-origin https://a.example');
  });
});
