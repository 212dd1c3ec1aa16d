// What a request picks attempt by attempt (backups, retries never repeating an origin when
// another exists, ejected members, the probe), and what the status page reads.
import { describe, expect, it } from 'vitest';
import type { Route } from '../config/compile.ts';
import { gatewayOf } from '../test-routes.ts';
import { recordOutcome } from './health.ts';
import { poolStatus, Selection, type Member, type Pool } from './pool.ts';

const A = 'http://a.internal:8080';
const B = 'http://b.internal:8080/base';
const C = 'http://c.internal:8080';
const T = 1_700_000_000_000;

const route = (entry: Record<string, unknown>): Route => gatewayOf([{ path: '/p', ...entry }]).routes[0]!;
const pool = (entry: Record<string, unknown>): Pool => route(entry).pool!;
const names = (members: (Member | null)[]) => members.map((member) => member && member.upstream.origin.slice(7, 8)).join('');

/** The members one request tries when each attempt fails. */
function attempts(p: Pool, n: number, now = T): string {
  const selection = new Selection(p, 0);
  const picked: (Member | null)[] = [];
  for (let i = 0; i < n; i++) {
    const member = selection.pick(now);
    picked.push(member);
    if (!member) break;
    selection.failedOn(member);
    selection.last = member.index;
  }
  return names(picked);
}

function eject(member: Member, p: Pool, now = T): void {
  for (let i = 0; i < p.health!.failures; i++) recordOutcome(member.health, p.health!, true, now, false);
}

describe('Selection', () => {
  it('goes down the list with "first", then round again never repeating the last', () => {
    expect(attempts(pool({ origins: [A, B, C] }), 5)).toBe('abcab');
  });

  it('retries the only origin when it is alone', () => {
    expect(attempts(pool({ origin: A, retry: {} }), 3)).toBe('aaa');
  });

  it('keeps backups for when every primary has failed the request', () => {
    const p = pool({ origins: [{ url: C, backup: true }, A, B] });
    expect(attempts(p, 4)).toBe('abca');
  });

  it('skips ejected members, then sends a backup', () => {
    const p = pool({ origins: [A, B, { url: C, backup: true }], health: {} });
    eject(p.members[0]!, p);
    expect(attempts(p, 1)).toBe('b');
    eject(p.members[1]!, p);
    expect(attempts(p, 3)).toBe('ccc');
  });

  it('sends to ejected members as if none were when every member is ejected', () => {
    const p = pool({ origins: [A, B], health: {} });
    eject(p.members[0]!, p);
    eject(p.members[1]!, p);
    expect(attempts(p, 2)).toBe('ab');
  });

  it('lets one request probe a member whose cooldown is over', () => {
    const p = pool({ origins: [A, B], health: { cooldown: 1 } });
    eject(p.members[0]!, p);
    expect(attempts(p, 1, T + 999)).toBe('b');
    expect(attempts(p, 1, T + 1000)).toBe('a');
    p.members[0]!.health.probing = true;
    expect(attempts(p, 1, T + 1000)).toBe('b');
  });

  it('balances round robin by weight over the usable members', () => {
    const p = pool({ origins: [{ url: A, weight: 3 }, B], balance: 'round_robin' });
    expect(Array.from({ length: 8 }, () => attempts(p, 1)).join('')).toBe('aabaaaba');
  });
});

describe('poolStatus', () => {
  it('lists each origin as up, ejected until when, or probing, with requests in flight', () => {
    const r = route({ origins: [A, { url: B, weight: 2, backup: true }], health: { cooldown: 5 } });
    const p = r.pool!;
    eject(p.members[0]!, p);
    p.members[1]!.inFlight = 2;
    expect(poolStatus(r, T + 1000)).toEqual([
      { origin: A, base: '', weight: 1, backup: false, state: 'ejected', ejectedUntil: T + 5000, inFlight: 0 },
      { origin: 'http://b.internal:8080', base: '/base', weight: 2, backup: true, state: 'up', inFlight: 2 },
    ]);
    expect(poolStatus(r, T + 5000)[0]).toMatchObject({ state: 'probing', ejectedUntil: T + 5000 });
  });

  it('shows a plain route\'s origin as up', () => {
    expect(poolStatus(route({ origin: A }))).toEqual([{ origin: A, base: '', weight: 1, backup: false, state: 'up', inFlight: 0 }]);
  });
});
