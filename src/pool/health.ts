// Passive health of one pool member, as this isolate has seen it: failures counted in a
// sliding window, ejection for a cooldown, then one request probes it (half-open) and its
// outcome brings the member back or ejects it again. Pure: the caller passes the time.

export interface HealthPolicy {
  failures: number;
  /** ms */
  window: number;
  /** ms */
  cooldown: number;
  /** statuses that count as a failure (besides connection failures and timeouts) */
  statuses: ReadonlySet<number>;
}

export const DEFAULT_HEALTH = { failures: 3, window: 10, cooldown: 30, statuses: [502, 503, 504] } as const;

export interface Health {
  /** times (epoch ms) of the failures still inside the window, oldest first */
  fails: number[];
  /** 0 while up; else when the cooldown ends (epoch ms) */
  ejectedUntil: number;
  /** a probe request is on its way: nobody else tries the member until it ends */
  probing: boolean;
}

export const freshHealth = (): Health => ({ fails: [], ejectedUntil: 0, probing: false });

export type HealthState = 'up' | 'ejected' | 'probing';

/** What the status page shows: ejected until the cooldown ends, then probing until a probe succeeds. */
export function healthState(health: Health, now: number): HealthState {
  if (health.ejectedUntil === 0) return 'up';
  return now < health.ejectedUntil ? 'ejected' : 'probing';
}

/** Whether a request may go to the member now: up, or past its cooldown with no probe on its way. */
export function available(health: Health, now: number): boolean {
  return health.ejectedUntil === 0 || (now >= health.ejectedUntil && !health.probing);
}

/** Called as a request is sent: true when that request is the member's probe (it must then call settle). */
export function claimProbe(health: Health, now: number): boolean {
  if (health.ejectedUntil === 0 || now < health.ejectedUntil || health.probing) return false;
  health.probing = true;
  return true;
}

/**
 * Records how a request to the member ended. A failure while up joins the window and ejects
 * the member once `failures` are in it; a failure while ejected (the probe, or a request sent
 * because every member was out) starts a new cooldown; a success while ejected brings it back.
 */
export function recordOutcome(health: Health, policy: HealthPolicy, failed: boolean, now: number, probe: boolean): void {
  if (probe) health.probing = false;
  if (!failed) {
    if (health.ejectedUntil !== 0) {
      health.ejectedUntil = 0;
      health.fails.length = 0;
    }
    return;
  }
  if (health.ejectedUntil !== 0) {
    health.ejectedUntil = now + policy.cooldown;
    return;
  }
  const fails = health.fails;
  fails.push(now);
  const since = now - policy.window;
  let stale = 0;
  while (stale < fails.length && fails[stale]! <= since) stale++;
  if (stale) fails.splice(0, stale);
  if (fails.length >= policy.failures) {
    health.ejectedUntil = now + policy.cooldown;
    fails.length = 0;
  }
}

/** A probe that ended without telling anything about the member (the client's upload was cut off). */
export function releaseProbe(health: Health, probe: boolean): void {
  if (probe) health.probing = false;
}
