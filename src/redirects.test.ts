import { describe, expect, it } from 'vitest';
import { rewriteLink, rewriteLocation, rewriteRefresh, rewriteReportingEndpoints, rewriteReportTo } from './redirects.ts';
import { gatewayOf } from './test-routes.ts';

const { routes } = gatewayOf([
  { path: '/api', origin: 'https://api.example.com/v1' },
  { path: '/auth', origin: 'https://login.example.com' },
]);
const from = 'https://api.example.com/v1/users/1';

describe('rewriteLocation', () => {
  it('maps absolute URLs of any configured origin to its route', () => {
    expect(rewriteLocation('https://api.example.com/v1/users/2?x=1', from, routes)).toBe('/api/users/2?x=1');
    expect(rewriteLocation('https://login.example.com/start', from, routes)).toBe('/auth/start');
  });
  it('resolves relative and root-relative values against the upstream URL', () => {
    expect(rewriteLocation('2', from, routes)).toBe('/api/users/2');
    expect(rewriteLocation('/v1/next', from, routes)).toBe('/api/next');
    expect(rewriteLocation('//login.example.com/x', from, routes)).toBe('/auth/x');
  });
  it('leaves foreign and unmappable URLs alone', () => {
    expect(rewriteLocation('https://elsewhere.example/x', from, routes)).toBe('https://elsewhere.example/x');
    expect(rewriteLocation('/outside-base', from, routes)).toBe('/outside-base');
  });
});

describe('rewriteRefresh', () => {
  it('rewrites the url part in its common forms', () => {
    expect(rewriteRefresh('5; url=https://login.example.com/a', from, routes)).toBe('5; url=/auth/a');
    expect(rewriteRefresh("0;URL='https://api.example.com/v1/b'", from, routes)).toBe("0;URL='/api/b'");
    expect(rewriteRefresh('10', from, routes)).toBe('10');
  });
});

describe('rewriteLink', () => {
  it('maps every target at a configured origin, keeping the parameters', () => {
    expect(rewriteLink('<https://login.example.com/a.css>; rel=preload; as=style, </v1/users/2>; rel="next", <https://cdn.elsewhere/x.js>; rel=preload', from, routes)).toBe(
      '</auth/a.css>; rel=preload; as=style, </api/users/2>; rel="next", <https://cdn.elsewhere/x.js>; rel=preload',
    );
  });
  it('leaves a <…> inside a quoted parameter alone', () => {
    expect(rewriteLink('</v1/a>; title="see <https://login.example.com/b> \\"q\\""; rel=help', from, routes)).toBe(
      '</api/a>; title="see <https://login.example.com/b> \\"q\\""; rel=help',
    );
  });
});

describe('rewriteReportingEndpoints', () => {
  it('maps each endpoint at a configured origin', () => {
    expect(rewriteReportingEndpoints('csp="https://login.example.com/r", other="https://reports.example/x", rel="/v1/r"', from, routes)).toBe(
      'csp="/auth/r", other="https://reports.example/x", rel="/api/r"',
    );
  });
  it('leaves parameter values alone: only the value of a member is an endpoint', () => {
    expect(rewriteReportingEndpoints('a="/v1/r";x="y", b="https://login.example.com/r";p="/v1/q"', from, routes)).toBe('a="/api/r";x="y", b="/auth/r";p="/v1/q"');
  });
});

describe('rewriteReportTo', () => {
  it('maps each endpoint URL at a configured origin, in every group', () => {
    const value =
      '{"group":"csp","max_age":86400,"endpoints":[{"url":"https://login.example.com/r"},{"url":"https://reports.example/x","priority":2}]}, ' +
      '{"group":"nel","max_age":60,"include_subdomains":true,"endpoints":[{"url":"/v1/nel"}]}';
    expect(rewriteReportTo(value, from, routes)).toBe(
      '{"group":"csp","max_age":86400,"endpoints":[{"url":"/auth/r"},{"url":"https://reports.example/x","priority":2}]}, ' +
        '{"group":"nel","max_age":60,"include_subdomains":true,"endpoints":[{"url":"/api/nel"}]}',
    );
  });

  it('leaves alone what a browser would not use, and anything that is not its JSON', () => {
    // Relative and scheme-relative endpoint URLs are invalid to Chromium: mapping one would make it valid.
    const odd = '{"group":"g","endpoints":[{"url":"r"},{"url":"//login.example.com/r"},{"url":7},null]}';
    expect(rewriteReportTo(odd, from, routes)).toBe(odd);
    for (const value of ['csp="https://login.example.com/r"', '{"endpoints":', '1], [2', '{"endpoints":{"url":"https://login.example.com/r"}}', 'null'])
      expect(rewriteReportTo(value, from, routes)).toBe(value);
  });
});

describe('a URL on a sticky route\'s origin outside every base path', () => {
  const sticky = gatewayOf([{ path: '/docs', origin: 'https://o.example.com/en' }]).routes;
  const fixed = gatewayOf([{ path: '/docs', origin: 'https://o.example.com/en', sticky: false }]).routes;
  const page = 'https://o.example.com/en/index.html';

  it('keeps its path, as its root-relative spelling does, in every URL-bearing header', () => {
    expect(rewriteLocation('https://o.example.com/login?next=1', page, sticky)).toBe('/login?next=1');
    expect(rewriteLocation('//o.example.com/login', page, sticky)).toBe('/login');
    expect(rewriteRefresh('0; url=https://o.example.com/style/', page, sticky)).toBe('0; url=/style/');
    expect(rewriteLink('<https://o.example.com/style/s.css>; rel=preload; as=style', page, sticky)).toBe('</style/s.css>; rel=preload; as=style');
    expect(rewriteReportingEndpoints('csp="https://o.example.com/csp"', page, sticky)).toBe('csp="/csp"');
    expect(rewriteReportTo('{"group":"g","endpoints":[{"url":"https://o.example.com/r"}]}', page, sticky)).toBe('{"group":"g","endpoints":[{"url":"/r"}]}');
    expect(rewriteLocation('https://o.example.com/en/x', page, sticky)).toBe('/docs/x');
  });

  it('stays as sent when the route is not sticky', () => {
    expect(rewriteLocation('https://o.example.com/login', page, fixed)).toBe('https://o.example.com/login');
    expect(rewriteLink('<https://o.example.com/style/s.css>; rel=preload', page, fixed)).toBe('<https://o.example.com/style/s.css>; rel=preload');
  });
});
