import { describe, expect, it } from 'vitest';
import { gatewayOf } from '../test-routes.ts';
import { matchRequest } from './match.ts';
import { startTrace } from './trace.ts';

const gateway = gatewayOf([
  { path: '/api', origin: 'https://api.example.com/base' },
  { path: '/h', host: 'good.example', origin: 'https://h.example.com' },
]);

/** A request as bare workerd hands it over: its URL is "http://" + Host + target, unchecked. */
const raw = (host: string, target: string) => ({ url: `http://${host}${target}`, headers: new Headers({ host }) }) as unknown as Request;

describe('matchRequest', () => {
  it('refuses a Host that is no host with 400 before routing', () => {
    for (const host of ['x/api', 'x/api?', 'a b', 'good.example, evil.example', '[::1']) {
      expect(matchRequest(raw(host, '/public/x'), gateway, startTrace())).toMatchObject({ status: 400, reason: expect.stringMatching(/^invalid Host header: /) });
    }
  });

  it('routes on the target and the checked Host', () => {
    expect(matchRequest(raw('Good.Example:8787', '/h/x?q'), gateway, startTrace())).toMatchObject({ host: 'Good.Example:8787', path: '/h/x', rest: '/x', target: { query: '?q' } });
    expect(matchRequest(raw('other.example', '/h/x'), gateway, startTrace())).toMatchObject({ status: 404 });
  });

  it('takes the host from the URL when there is no Host header (HTTP/1.0)', () => {
    const match = matchRequest(new Request('http://localhost:8787/api/x'), gateway, startTrace());
    expect(match).toMatchObject({ host: 'localhost:8787', path: '/api/x', rest: '/x' });
  });
});
