import { describe, expect, it } from 'vitest';
import { gatewayOf } from './test-routes.ts';
import { readCookie, refererPath, siteCookieFor, stickyRoute, stripSiteCookie } from './sticky.ts';

const gw = gatewayOf([
  { path: '/a', origin: 'http://a.internal' },
  { path: '/b', origin: 'http://b.internal', sticky: false },
  { path: '/', origin: 'http://home.internal' },
]);
const [routeA, routeB, catchAll] = gw.routes;
const req = (headers: Record<string, string>) => new Request('http://gw.test/img/x.png', { headers });

describe('stickyRoute', () => {
  it('follows a Referer on the gateway to its route', () => {
    expect(stickyRoute(req({ referer: 'http://gw.test/a/page' }), gw, 'gw.test')).toBe(routeA);
    expect(stickyRoute(req({ referer: 'http://GW.test/a' }), gw, 'gw.test')).toBe(routeA);
  });

  it('lets a referring page of an opted-out route settle it', () => {
    expect(stickyRoute(req({ referer: 'http://gw.test/b/page', cookie: 'switchyard-site=%2Fa' }), gw, 'gw.test')).toBe(undefined);
  });

  it('falls back to the cookie when the Referer names no specific route', () => {
    expect(stickyRoute(req({ referer: 'http://gw.test/page2', cookie: 'switchyard-site=%2Fa' }), gw, 'gw.test')).toBe(routeA);
    expect(stickyRoute(req({ cookie: 'switchyard-site=%2Fa' }), gw, 'gw.test')).toBe(routeA);
    expect(stickyRoute(req({ referer: 'http://elsewhere/a/x', cookie: 'switchyard-site=%2Fa' }), gw, 'gw.test')).toBe(routeA);
  });

  it('never picks an opted-out route, the catch-all, or a typed URL', () => {
    expect(stickyRoute(req({ cookie: 'switchyard-site=%2Fb' }), gw, 'gw.test')).toBe(undefined);
    expect(stickyRoute(req({ cookie: 'switchyard-site=%2F' }), gw, 'gw.test')).toBe(undefined);
    expect(stickyRoute(req({ cookie: 'switchyard-site=%2Fa', 'sec-fetch-site': 'none' }), gw, 'gw.test')).toBe(undefined);
    expect(stickyRoute(req({}), gw, 'gw.test')).toBe(undefined);
  });
});

describe('cookie helpers', () => {
  it('reads one cookie by name', () => {
    expect(readCookie('x=1; switchyard-site=%2Fa; y=2', 'switchyard-site')).toBe('/a');
    expect(readCookie('my-switchyard-site=1', 'switchyard-site')).toBe(null);
    expect(readCookie('switchyard-site=%zz', 'switchyard-site')).toBe(null);
    expect(readCookie(null, 'switchyard-site')).toBe(null);
  });

  it('strips only the gateway’s cookie before forwarding', () => {
    const headers = new Headers({ cookie: 'x=1; switchyard-site=%2Fa; y=2' });
    stripSiteCookie(headers);
    expect(headers.get('cookie')).toBe('x=1; y=2');
    const alone = new Headers({ cookie: 'switchyard-site=%2Fa' });
    stripSiteCookie(alone);
    expect(alone.has('cookie')).toBe(false);
  });

  it('knows the Referer path on this host only', () => {
    expect(refererPath('http://gw.test/a/b?c', 'gw.test')).toBe('/a/b');
    expect(refererPath('http://other/a', 'gw.test')).toBe(null);
    expect(refererPath('not a url', 'gw.test')).toBe(null);
  });
});

describe('siteCookieFor', () => {
  const page = (headers: Record<string, string> = {}, url = 'http://gw.test/a/') => new Request(url, { headers });

  it('sets the cookie for a sticky route’s page, Secure over https', () => {
    expect(siteCookieFor(page(), routeA, 200, 'text/html')).toBe('switchyard-site=%2Fa; Path=/; SameSite=Lax; HttpOnly');
    expect(siteCookieFor(page({}, 'https://gw.test/a/'), routeA, 200, 'text/html')).toMatch(/; Secure$/);
  });

  it('clears it for other pages, and only when it is set', () => {
    expect(siteCookieFor(page({ cookie: 'switchyard-site=%2Fa' }), catchAll, 200, 'text/html')).toContain('Max-Age=0');
    expect(siteCookieFor(page({ cookie: 'switchyard-site=%2Fa' }), routeB, 200, 'text/html')).toContain('Max-Age=0');
    expect(siteCookieFor(page(), catchAll, 200, 'text/html')).toBe(null);
  });

  it('ignores non-pages, errors and pages fetched by scripts', () => {
    expect(siteCookieFor(page(), routeA, 200, 'application/json')).toBe(null);
    expect(siteCookieFor(page(), routeA, 404, 'text/html')).toBe(null);
    expect(siteCookieFor(page({ 'sec-fetch-dest': 'empty' }), routeA, 200, 'text/html')).toBe(null);
    expect(siteCookieFor(page({ 'sec-fetch-dest': 'iframe' }), routeA, 200, 'text/html')).not.toBe(null);
  });
});
