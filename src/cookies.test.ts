import { describe, expect, it } from 'vitest';
import { rewriteSetCookie } from './cookies.ts';
import { gatewayOf } from './test-routes.ts';

const { routes } = gatewayOf([
  { path: '/api', origin: 'https://api.example.com' },
  { path: '/v', origin: 'https://api.example.com/v1' },
  { path: '/full', origin: 'https://site.example', stripPrefix: false },
  { path: '/', origin: 'https://root.example' },
]);
const [api, versioned, full, root] = routes as [typeof routes[0], typeof routes[0], typeof routes[0], typeof routes[0]];
const rewrite = (cookie: string, route = api) => rewriteSetCookie(cookie, route, route.upstreams[0]!);

describe('rewriteSetCookie', () => {
  it('drops Domain and scopes Path under the route', () => {
    expect(rewrite('sid=1; Domain=api.example.com; Path=/; HttpOnly; Secure')).toBe('sid=1; Path=/api; HttpOnly; Secure');
    expect(rewrite('sid=1; Path=/account')).toBe('sid=1; Path=/api/account');
  });
  it('defaults a missing Path to the route', () => expect(rewrite('a=b')).toBe('a=b; Path=/api'));
  it('keeps Expires with its comma intact', () => {
    expect(rewrite('a=b; Expires=Wed, 21 Oct 2037 07:28:00 GMT; SameSite=Lax')).toBe('a=b; Path=/api; Expires=Wed, 21 Oct 2037 07:28:00 GMT; SameSite=Lax');
  });
  it('maps paths under the base path, and keeps wider ones inside the route', () => {
    expect(rewrite('a=b; Path=/v1/x', versioned)).toBe('a=b; Path=/v/x');
    expect(rewrite('a=b; Path=/', versioned)).toBe('a=b; Path=/v');
  });
  it('leaves stripPrefix:false paths under the route as they are', () => {
    expect(rewrite('a=b; Path=/full/x', full)).toBe('a=b; Path=/full/x');
    expect(rewrite('a=b; Path=/', full)).toBe('a=b; Path=/full');
  });
  it('keeps Path=/ on a __Host- cookie, which browsers refuse with any other path', () => {
    expect(rewrite('__Host-sid=1; Path=/; Secure; HttpOnly')).toBe('__Host-sid=1; Path=/; Secure; HttpOnly');
    expect(rewrite('__host-Http-csrf=2; Domain=api.example.com; Path=/; Secure')).toBe('__host-Http-csrf=2; Path=/; Secure');
    expect(rewrite('__Secure-a=1; Path=/; Secure')).toBe('__Secure-a=1; Path=/api; Secure');
  });
  it('takes the last Path, and one not starting with / as the default', () => {
    expect(rewrite('a=b; Path=/x; Path=/y')).toBe('a=b; Path=/api/y');
    expect(rewrite('a=b; Path=/x; Path=rel')).toBe('a=b; Path=/api');
  });
  it('leaves the catch-all route at /', () => expect(rewrite('a=b; Path=/x; domain=.root.example', root)).toBe('a=b; Path=/x'));
});
