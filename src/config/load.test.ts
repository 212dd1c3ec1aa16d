import { describe, expect, it } from 'vitest';
import bundled from '../../routes.json';
import { loadConfig } from './load.ts';

const routes = { routes: [{ path: '/api', origin: 'https://api.example.com', headers: { request: { set: { 'X-Key': '${KEY}' } } } }] };

describe('loadConfig', () => {
  it('compiles once per config, not per request', () => {
    const env = { ROUTES: routes, KEY: 'k1' };
    const first = loadConfig(env);
    expect(first.ok).toBe(true);
    expect(loadConfig({ ...env })).toBe(first);
  });

  it('compiles again when the config or a binding it references changes', () => {
    const first = loadConfig({ ROUTES: routes, KEY: 'k1' });
    const rotated = loadConfig({ ROUTES: routes, KEY: 'k2' });
    expect(rotated).not.toBe(first);
    expect(rotated.ok && rotated.gateway.routes[0]!.requestHeaders.set).toEqual([['X-Key', 'k2']]);
    const text = JSON.stringify(routes);
    const fromText = loadConfig({ ROUTES: text, KEY: 'k2' });
    expect(fromText).not.toBe(rotated);
    expect(loadConfig({ ROUTES: text, KEY: 'k2' })).toBe(fromText);
  });

  it('uses the bundled routes.json when no ROUTES is bound', () => {
    const result = loadConfig({});
    expect(result.ok && result.gateway.routes.map((route) => route.path)).toEqual(bundled.routes.map((route) => route.path));
  });
});
