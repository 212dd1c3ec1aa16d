// The pickers: exact shares for round robin, weighted shares for random and ip_hash, and
// ip_hash moving only the clients of a member that becomes unusable.
import { describe, expect, it } from 'vitest';
import { firstUsable, hashAddress, leastBusy, rendezvous, smoothRoundRobin, weightedRandom, type Slot, type Usable } from './balance.ts';

const slots = (...weights: number[]): Slot[] => weights.map((weight, i) => ({ weight, current: 0, inFlight: 0, seed: hashAddress(`http://origin-${i}`) }));
const all: Usable = { usable: () => true };
const except = (...left: number[]): Usable => ({ usable: (i) => !left.includes(i) });

function counts(n: number, size: number, pick: () => number): number[] {
  const seen = new Array<number>(size).fill(0);
  for (let i = 0; i < n; i++) seen[pick()]!++;
  return seen;
}

describe('firstUsable', () => {
  it('takes the listed order, skipping what the filter leaves out', () => {
    expect(firstUsable(slots(1, 1, 1), all)).toBe(0);
    expect(firstUsable(slots(1, 1, 1), except(0))).toBe(1);
    expect(firstUsable(slots(1, 1), except(0, 1))).toBe(-1);
  });
});

describe('smoothRoundRobin', () => {
  it('interleaves by weight as nginx does (5, 1, 1: a a b a c a a)', () => {
    const pool = slots(5, 1, 1);
    const order = Array.from({ length: 7 }, () => 'abc'[smoothRoundRobin(pool, all)]).join(' ');
    expect(order).toBe('a a b a c a a');
  });

  it('gives each member exactly its share over whole rounds', () => {
    const pool = slots(3, 1);
    expect(counts(2000, 2, () => smoothRoundRobin(pool, all))).toEqual([1500, 500]);
  });

  it('leaves out unusable members without disturbing the others', () => {
    const pool = slots(1, 1, 2);
    expect(counts(300, 3, () => smoothRoundRobin(pool, except(1)))).toEqual([100, 0, 200]);
    expect(smoothRoundRobin(pool, except(0, 1, 2))).toBe(-1);
  });
});

describe('weightedRandom', () => {
  it('picks in proportion to the weights', () => {
    const pool = slots(3, 1);
    const seen = counts(20_000, 2, () => weightedRandom(pool, all, Math.random()));
    expect(seen[0]! / 20_000).toBeGreaterThan(0.73);
    expect(seen[0]! / 20_000).toBeLessThan(0.77);
  });

  it('maps the unit interval onto the usable weights, ends included', () => {
    const pool = slots(1, 2, 1);
    expect(weightedRandom(pool, all, 0)).toBe(0);
    expect(weightedRandom(pool, all, 0.3)).toBe(1);
    expect(weightedRandom(pool, all, 0.99999)).toBe(2);
    expect(weightedRandom(pool, except(1), 0.6)).toBe(2);
    expect(weightedRandom(pool, except(0, 1, 2), 0.5)).toBe(-1);
  });
});

describe('rendezvous (ip_hash)', () => {
  const clients = Array.from({ length: 4000 }, (_, i) => hashAddress(`10.${(i >> 8) & 255}.${i & 255}.${i % 7}`));

  it('keeps a client on one member', () => {
    const pool = slots(1, 1, 1);
    for (const client of clients.slice(0, 50)) {
      const first = rendezvous(pool, all, client);
      for (let i = 0; i < 5; i++) expect(rendezvous(pool, all, client)).toBe(first);
    }
  });

  it('spreads clients by weight', () => {
    const pool = slots(1, 3);
    const seen = counts(clients.length, 2, (() => {
      let i = 0;
      return () => rendezvous(pool, all, clients[i++]!);
    })());
    expect(seen[1]! / clients.length).toBeGreaterThan(0.72);
    expect(seen[1]! / clients.length).toBeLessThan(0.78);
  });

  it('moves only the clients of a member left out, and brings them back', () => {
    const pool = slots(1, 1, 1);
    const before = clients.map((client) => rendezvous(pool, all, client));
    const during = clients.map((client) => rendezvous(pool, except(1), client));
    clients.forEach((_, i) => {
      if (before[i] === 1) expect(during[i]).not.toBe(1);
      else expect(during[i]).toBe(before[i]);
    });
    expect(clients.map((client) => rendezvous(pool, all, client))).toEqual(before);
  });
});

describe('leastBusy', () => {
  it('picks the member with the fewest requests in flight for its weight', () => {
    const pool = slots(1, 1, 2);
    pool[0]!.inFlight = 2;
    pool[1]!.inFlight = 1;
    pool[2]!.inFlight = 3;
    expect(leastBusy(pool, all)).toBe(1);
    pool[2]!.inFlight = 1;
    expect(leastBusy(pool, all)).toBe(2);
    expect(leastBusy(pool, except(2))).toBe(1);
  });

  it('takes turns by weight when idle', () => {
    const pool = slots(2, 1);
    expect(counts(300, 2, () => leastBusy(pool, all))).toEqual([200, 100]);
  });
});

describe('hashAddress', () => {
  it('is FNV-1a: stable, and different for neighbouring addresses', () => {
    expect(hashAddress('')).toBe(0x811c9dc5);
    expect(hashAddress('a')).toBe(0xe40c292c);
    expect(hashAddress('127.0.0.2')).not.toBe(hashAddress('127.0.0.3'));
  });
});
