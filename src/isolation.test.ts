import { describe, expect, it } from 'vitest';
import { confineServiceWorkerAllowed, mayBeWorkerScript, routeScope } from './isolation.ts';
import { gatewayOf } from './test-routes.ts';

const { routes } = gatewayOf([
  { path: '/docs', origin: 'https://o.example/en' },
  { path: '/docsx', origin: 'https://o.example/fr' },
  { path: '/raw', origin: 'https://raw.example', stripPrefix: false },
  { path: '/fixed', origin: 'https://fixed.example/base', sticky: false },
]);
const [docs, , raw, fixed] = routes as [(typeof routes)[0], (typeof routes)[0], (typeof routes)[0], (typeof routes)[0]];
const script = 'https://o.example/en/sw.js';

describe('confineServiceWorkerAllowed', () => {
  it('maps a scope within the route to its gateway path', () => {
    expect(confineServiceWorkerAllowed('/en/', script, docs, routes)).toBe('/docs/');
    expect(confineServiceWorkerAllowed('/en/app/', script, docs, routes)).toBe('/docs/app/');
    expect(confineServiceWorkerAllowed('./app/', script, docs, routes)).toBe('/docs/app/');
    expect(confineServiceWorkerAllowed('https://o.example/en/app/?x#y', script, docs, routes)).toBe('/docs/app/');
    expect(confineServiceWorkerAllowed('/raw/a/', 'https://raw.example/raw/sw.js', raw, routes)).toBe('/raw/a/');
  });

  it('ends a scope naming the route itself with a slash, so it cannot cover a longer path', () => {
    expect(confineServiceWorkerAllowed('/en', script, docs, routes)).toBe('/docs/');
  });

  it('refuses anything wider than the route, outside it, or unreadable', () => {
    for (const value of ['/', '/fr/', '/e', '/other/', 'https://elsewhere.example/en/', 'http://o.example/en/', '../', 'http://[bad'])
      expect(confineServiceWorkerAllowed(value, script, docs, routes), value).toBeNull();
    expect(confineServiceWorkerAllowed('/', 'https://fixed.example/base/sw.js', fixed, routes)).toBeNull();
    expect(confineServiceWorkerAllowed('/base/', 'https://raw.example/raw/sw.js', raw, routes)).toBeNull();
  });
});

describe('routeScope and mayBeWorkerScript', () => {
  it('scope is the route path with a slash', () => {
    expect(routeScope(docs)).toBe('/docs/');
    expect(routeScope(gatewayOf([{ path: '/', origin: 'https://a.example' }]).routes[0]!)).toBe('/');
  });
  it('knows JavaScript by its MIME type', () => {
    for (const mime of ['text/javascript', 'application/javascript', 'application/x-javascript', 'application/ecmascript', 'text/jscript']) expect(mayBeWorkerScript(mime)).toBe(true);
    for (const mime of ['text/html', 'application/json', 'text/css', '']) expect(mayBeWorkerScript(mime)).toBe(false);
  });
});
