// A route's compiled pool and its live state in this isolate (round-robin scores, requests in
// flight, health): built once per isolate with the config, so a request reads and updates it
// with no lookup, and it goes away with the config it belongs to. Under `npm run serve` each
// workerd process has its own, as each isolate does on the edge.
import type { Route, Upstream } from '../config/compile.ts';
import { firstUsable, leastBusy, rendezvous, smoothRoundRobin, weightedRandom, type Balance, type Slot, type Usable } from './balance.ts';
import { available, claimProbe, healthState, type Health, type HealthPolicy, type HealthState } from './health.ts';
import type { RetryPolicy } from './retry.ts';

export interface Member extends Slot {
  index: number;
  upstream: Upstream;
  backup: boolean;
  health: Health;
}

export interface Pool {
  members: Member[];
  balance: Balance;
  /** the route's retry, or the default without one: the next origin only after a connection failure, only without a body */
  retry: RetryPolicy;
  /** whether the route has a `retry` field: only then are request bodies kept to replay them */
  keepsBodies: boolean;
  health: HealthPolicy | null;
}

/**
 * One request's way through the pool: which members failed it, and which tier and pass the
 * pick is in. Implements the filter the pickers ask, so picking allocates nothing more.
 */
export class Selection implements Usable {
  /** members that failed this request (allocated on the first failure) */
  private failed: boolean[] | null = null;
  /** the member tried last, never tried again right after when another exists */
  last = -1;
  /** distinct members tried */
  tried = 0;
  private now = 0;
  private backups = false;
  private pass: 'fresh' | 'again' | 'last' = 'fresh';
  /** every member is ejected: pick as if none were (an ejection is a guess; a request might still be served) */
  private panic = false;

  private readonly pool: Pool;
  private readonly clientHash: number;

  constructor(pool: Pool, clientHash: number) {
    this.pool = pool;
    this.clientHash = clientHash;
  }

  usable(index: number): boolean {
    const member = this.pool.members[index]!;
    if (member.backup !== this.backups) return false;
    if (!this.panic && !available(member.health, this.now)) return false;
    if (this.pass === 'fresh') return !this.failed?.[index];
    if (this.pass === 'again') return index !== this.last;
    return index === this.last;
  }

  /**
   * The member for the next attempt, or null when none is left. Fresh members first (primaries,
   * then backups), then any but the last one tried, then the last one again (a pool of one).
   */
  pick(now: number): Member | null {
    this.now = now;
    const { members } = this.pool;
    this.panic = true;
    for (const member of members) if (available(member.health, now)) this.panic = false;
    for (const pass of PASSES) {
      this.pass = pass;
      for (const backups of TIERS) {
        this.backups = backups;
        const index = this.choose();
        if (index !== -1) return members[index]!;
      }
    }
    return null;
  }

  /** Records that `member` failed this request. */
  failedOn(member: Member): void {
    this.failed ??= [];
    if (!this.failed[member.index]) this.tried++;
    this.failed[member.index] = true;
  }

  private choose(): number {
    const slots = this.pool.members;
    switch (this.pool.balance) {
      case 'first':
        return firstUsable(slots, this);
      case 'round_robin':
        return smoothRoundRobin(slots, this);
      case 'random':
        return weightedRandom(slots, this, Math.random());
      case 'ip_hash':
        return rendezvous(slots, this, this.clientHash);
      case 'least_busy':
        return leastBusy(slots, this);
    }
  }
}

const PASSES = ['fresh', 'again', 'last'] as const;
const TIERS = [false, true] as const;

/** Whether the request sent now to `member` is its half-open probe. */
export const startAttempt = (member: Member, now: number): boolean => {
  member.inFlight++;
  return claimProbe(member.health, now);
};

export interface OriginStatus {
  /** scheme://host[:port] */
  origin: string;
  /** base path ('' for none) */
  base: string;
  weight: number;
  backup: boolean;
  /** up; ejected (until ejectedUntil); probing: the cooldown is over and the next request (or the one on its way) tests it */
  state: HealthState;
  /** epoch ms when the cooldown ends (ejected) or ended (probing) */
  ejectedUntil?: number;
  /** requests sent to it from this isolate that have no response headers yet */
  inFlight: number;
}

/**
 * Each origin of a route as this isolate (this workerd process under `npm run serve`) sees it,
 * for the status page. A route with one origin and no pool fields keeps no state: it is up.
 */
export function poolStatus(route: Route, now = Date.now()): OriginStatus[] {
  if (!route.pool) return route.upstreams.map(({ origin, base }) => ({ origin, base, weight: 1, backup: false, state: 'up', inFlight: 0 }));
  return route.pool.members.map((member) => {
    const state = healthState(member.health, now);
    const status: OriginStatus = { origin: member.upstream.origin, base: member.upstream.base, weight: member.weight, backup: member.backup, state, inFlight: member.inFlight };
    if (state !== 'up') status.ejectedUntil = member.health.ejectedUntil;
    return status;
  });
}
