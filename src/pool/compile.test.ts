// A route's pool fields compiled: which routes get a pool, the defaults of each field left
// out, and bad pools reported with their JSON paths (never their values).
import { describe, expect, it } from 'vitest';
import { compileConfig, type Route } from '../config/compile.ts';
import { gatewayOf } from '../test-routes.ts';
import type { Pool } from './pool.ts';

const A = 'http://a.internal:8080';
const B = 'http://b.internal:8080/base';
const C = 'http://c.internal:8080';

const route = (entry: Record<string, unknown>): Route => gatewayOf([{ path: '/p', ...entry }]).routes[0]!;
const pool = (entry: Record<string, unknown>): Pool => route(entry).pool!;

function problems(entry: Record<string, unknown>): string[] {
  const result = compileConfig({ routes: [{ path: '/p', ...entry }] }, {});
  if (result.ok) throw new Error('expected the config to be rejected');
  return result.problems;
}

describe('compiling a pool', () => {
  it('gives a plain single-origin route none, so forward makes one fetch', () => {
    expect(route({ origin: A }).pool).toBeNull();
    expect(route({ origins: [A] }).pool).toBeNull();
    expect(route({ origins: [{ url: A, weight: 3 }] }).pool).toBeNull();
  });

  it('gives one to several origins, and to one origin with a pool field', () => {
    expect(route({ origins: [A, B] }).pool!.members).toHaveLength(2);
    expect(route({ origin: A, retry: {} }).pool!.retry.attempts).toBe(2);
    expect(route({ origin: A, health: {} }).pool!.health).toEqual({ failures: 3, window: 10_000, cooldown: 30_000, statuses: new Set([502, 503, 504]) });
    expect(route({ origin: A, balance: 'random' }).pool!.balance).toBe('random');
  });

  it('keeps every member in upstreams, in file order, for links and cookies', () => {
    expect(route({ origins: [A, { url: B, weight: 2 }, { url: C, backup: true }] }).upstreams).toEqual([
      { origin: A, base: '' },
      { origin: 'http://b.internal:8080', base: '/base' },
      { origin: C, base: '' },
    ]);
  });

  it('fills in the issue\'s defaults for each retry field left out', () => {
    const { retry, keepsBodies } = pool({ origins: [A, B], retry: { on: ['connect', 500] } });
    expect(retry).toEqual({
      attempts: 2,
      onConnect: true,
      onTimeout: false,
      statuses: new Set([500]),
      methods: new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']),
      bodyBytes: 65536,
      attemptTimeout: null,
    });
    expect(keepsBodies).toBe(true);
  });

  it('without retry: each other origin once, after a connection failure, keeping no body', () => {
    const { retry, keepsBodies } = pool({ origins: [A, B, C] });
    expect(retry).toMatchObject({ attempts: 2, onConnect: true, onTimeout: false, methods: new Set(), bodyBytes: 0 });
    expect(keepsBodies).toBe(false);
  });

});


describe('bad pools', () => {
  it.each([
    ['an empty pool', { origins: [] }, 'routes[0].origins: must list at least one origin'],
    ['a weight of 0', { origins: [{ url: A, weight: 0 }, B] }, 'routes[0].origins[0].weight: must be greater than 0'],
    ['a negative weight', { origins: [A, { url: B, weight: -2 }] }, 'routes[0].origins[1].weight: must be greater than 0'],
    ['a member that is neither URL nor object', { origins: [A, 5] }, 'routes[0].origins[1]: must be a URL string or an object { "url", "weight", "backup" }'],
    ['a member object with a bad URL', { origins: [{ url: 'api.internal' }] }, 'routes[0].origins[0].url: must be an absolute http(s) URL with no query or fragment'],
    ['a misspelt member field', { origins: [{ url: A, weigth: 2 }] }, 'routes[0].origins[0].weigth: unknown field (did you mean "weight"?)'],
    ['only backups', { origins: [{ url: A, backup: true }, { url: B, backup: true }] }, 'routes[0].origins: every origin is a backup; a backup only gets traffic when the others are out, so at least one must not be'],
    ['an unknown balance', { origins: [A, B], balance: 'roundrobin' }, 'routes[0].balance: must be "first", "round_robin", "random", "ip_hash" or "least_busy"'],
    ['a retry status below 500', { origin: A, retry: { on: ['connect', 404] } }, 'routes[0].retry.on[1]: must be "connect", "timeout" or a status from 500 to 599'],
    ['a retry status above 599', { origin: A, retry: { on: [600] } }, 'routes[0].retry.on[0]: must be "connect", "timeout" or a status from 500 to 599'],
    ['an unknown retry failure', { origin: A, retry: { on: ['refused'] } }, 'routes[0].retry.on[0]: must be "connect", "timeout" or a status from 500 to 599'],
    ['bodyBytes 0 with the default methods (PUT has a body)', { origin: A, retry: { bodyBytes: 0 } }, 'routes[0].retry.bodyBytes: 0 keeps no request body to replay, yet retry.methods lists PUT, which carries one; raise bodyBytes or list only GET, HEAD, OPTIONS, DELETE, TRACE'],
    ['bodyBytes 0 with POST listed', { origin: A, retry: { bodyBytes: 0, methods: ['get', 'post', 'PATCH'] } }, 'routes[0].retry.bodyBytes: 0 keeps no request body to replay, yet retry.methods lists POST, PATCH, which carry one; raise bodyBytes or list only GET, HEAD, OPTIONS, DELETE, TRACE'],
    ['more attempts than a request may make subrequests for', { origin: A, retry: { attempts: 11 } }, 'routes[0].retry.attempts: must be at most 10 (each attempt is a subrequest)'],
    ['an attemptTimeout as long as the route\'s timeout', { origin: A, timeout: 5000, retry: { attemptTimeout: 5000 } }, "routes[0].retry.attemptTimeout: must be shorter than the route's timeout (5000 ms), or a timed-out attempt leaves no time to try another origin"],
    ['an attemptTimeout past the default timeout', { origin: A, retry: { attemptTimeout: 60000 } }, "routes[0].retry.attemptTimeout: must be shorter than the route's timeout (30000 ms), or a timed-out attempt leaves no time to try another origin"],
    ['a health status outside 5xx and 429', { origin: A, health: { statuses: [503, 404] } }, 'routes[0].health.statuses[1]: must be a status from 500 to 599, or 429'],
    ['zero failures', { origin: A, health: { failures: 0 } }, 'routes[0].health.failures: must be at least 1'],
    ['a zero cooldown', { origin: A, health: { cooldown: 0 } }, 'routes[0].health.cooldown: must be greater than 0 (seconds)'],
    ['a misspelt health field', { origin: A, health: { falures: 2 } }, 'routes[0].health.falures: unknown field (did you mean "failures"?)'],
  ])('%s', (_name, entry, message) => {
    expect(problems(entry)).toContain(message);
  });

  it('accepts bodyBytes 0 when only methods without a body are retried, and 429 as a health status', () => {
    expect(pool({ origin: A, retry: { bodyBytes: 0, methods: ['GET', 'HEAD', 'DELETE'] }, health: { statuses: [429, 500] } }).keepsBodies).toBe(false);
  });
});
