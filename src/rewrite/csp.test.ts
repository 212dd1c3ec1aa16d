import { describe, expect, it } from 'vitest';
import { gatewayOf } from '../test-routes.ts';
import { mapCsp } from './csp.ts';
import { linkTable } from './links.ts';

const table = linkTable(
  gatewayOf([
    { path: '/intranet', origin: 'http://10.1.2.3' },
    { path: '/static', origin: 'https://cdn.example.com:8443/assets' },
  ]),
);
const page = new URL('http://10.1.2.3/docs/page.html');
const csp = (value: string) => mapCsp(value, page, table);

describe('mapCsp', () => {
  it("adds 'self' to a source list naming a configured origin, keeping the source", () => {
    expect(csp("default-src 'none'; img-src https://cdn.example.com:8443; script-src 'nonce-abc' http://10.1.2.3/js/")).toBe(
      "default-src 'none'; img-src https://cdn.example.com:8443 'self'; script-src 'nonce-abc' http://10.1.2.3/js/ 'self'",
    );
  });

  it('reads a source without a scheme as the page\'s own scheme, and ports as CSP does', () => {
    expect(csp('img-src 10.1.2.3')).toBe("img-src 10.1.2.3 'self'");
    expect(csp('img-src 10.1.2.3:80')).toBe("img-src 10.1.2.3:80 'self'");
    // https: default port 443 is not the configured 8443; http://cdn... is another origin.
    expect(csp('img-src https://cdn.example.com http://cdn.example.com:8443')).toBeNull();
    expect(csp('IMG-SRC HTTPS://CDN.EXAMPLE.COM:8443')).toBe("IMG-SRC HTTPS://CDN.EXAMPLE.COM:8443 'self'");
  });

  it('covers every source-list directive, and only those', () => {
    for (const name of ['connect-src', 'script-src-elem', 'style-src-attr', 'frame-ancestors', 'form-action', 'base-uri', 'worker-src']) {
      expect(csp(`${name} http://10.1.2.3`)).toBe(`${name} http://10.1.2.3 'self'`);
    }
    expect(csp('sandbox http://10.1.2.3')).toBeNull();
    expect(csp('plugin-types http://10.1.2.3')).toBeNull();
  });

  it("leaves a list that has 'self', wildcards, schemes and keywords alone", () => {
    expect(csp("img-src 'self' http://10.1.2.3")).toBeNull();
    expect(csp("img-src 'SELF' http://10.1.2.3")).toBeNull();
    expect(csp('img-src http://*.1.2.3 https: data: http://10.1.2.3:* foreign.example')).toBeNull();
    expect(csp("script-src 'unsafe-inline' 'sha256-abc='")).toBeNull();
  });

  it('maps report-uri targets at a configured origin to gateway paths', () => {
    expect(csp('default-src http://10.1.2.3; report-uri http://10.1.2.3/csp /csp2 relative https://reports.example/r')).toBe(
      "default-src http://10.1.2.3 'self'; report-uri /intranet/csp /intranet/csp2 relative https://reports.example/r",
    );
  });

  it('handles several policies, and keeps the spacing around directives', () => {
    expect(csp("img-src http://10.1.2.3 ;  report-uri /r , default-src 'self', img-src\thttp://10.1.2.3\t")).toBe(
      "img-src http://10.1.2.3 'self' ;  report-uri /intranet/r , default-src 'self', img-src http://10.1.2.3 'self'\t",
    );
    expect(csp(';;img-src http://10.1.2.3;')).toBe(";;img-src http://10.1.2.3 'self';");
  });

  it('returns null when nothing changes', () => {
    expect(csp("default-src 'self'; img-src https://foreign.example data:")).toBeNull();
    expect(csp('')).toBeNull();
  });
});

describe('mapCsp on a <meta> content attribute, character references undecoded', () => {
  it('does not split at the semicolon of a reference', () => {
    expect(csp("img-src http://10.1.2.3 'nonce-&quot;x&quot;'; report-uri /r")).toBe("img-src http://10.1.2.3 'nonce-&quot;x&quot;' 'self'; report-uri /intranet/r");
  });
  it("reads &#39;self&#39; (and its other spellings) as 'self'", () => {
    for (const quote of ['&#39;', '&#x27;', '&apos;', '&#039;']) expect(csp(`img-src ${quote}self${quote} http://10.1.2.3`)).toBeNull();
    expect(csp('img-src &#39;none&#39; http://10.1.2.3')).toBe("img-src &#39;none&#39; http://10.1.2.3 'self'");
  });
});

describe('mapCsp on a sticky route with a base path', () => {
  const sticky = linkTable(gatewayOf([{ path: '/docs', origin: 'https://o.example.com/en' }]));
  const fixed = linkTable(gatewayOf([{ path: '/docs', origin: 'https://o.example.com/en', sticky: false }]));
  const docs = new URL('https://o.example.com/en/index.html');

  it("maps a report-uri outside the base path to its root-relative path, and allows 'self' for sources there", () => {
    expect(mapCsp('style-src https://o.example.com/style/; report-uri https://o.example.com/csp-report', docs, sticky)).toBe(
      "style-src https://o.example.com/style/ 'self'; report-uri /csp-report",
    );
    expect(mapCsp('report-uri https://o.example.com/csp-report', docs, fixed)).toBeNull();
  });
});
