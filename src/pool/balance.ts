// How a pool picks one member: pure pickers over the members a filter lets through, so
// health (ejected origins) and retries (origins that failed this request) narrow the choice
// without each picker knowing why. Each returns a member's index, or -1 when none is usable.

export type Balance = 'first' | 'round_robin' | 'random' | 'ip_hash' | 'least_busy';

/** Which members may be picked now; an object rather than a closure, so a pick allocates nothing. */
export interface Usable {
  usable(index: number): boolean;
}

export interface Slot {
  readonly weight: number;
  /** smooth weighted round robin's running score */
  current: number;
  /** requests sent to it from this isolate that have no answer yet */
  inFlight: number;
  /** mixed into the client's hash by ip_hash: fixed per member */
  readonly seed: number;
}

/** The first usable member, in the order the pool lists them. */
export function firstUsable(slots: readonly Slot[], filter: Usable): number {
  for (let i = 0; i < slots.length; i++) if (filter.usable(i)) return i;
  return -1;
}

/**
 * nginx's smooth weighted round robin: every usable member gains its weight, the highest
 * is picked and loses the total. Weights 5, 1, 1 give a a b a c a a rather than a a a a a b c,
 * and members left out (ejected, already failed) neither gain nor lose.
 */
export function smoothRoundRobin(slots: readonly Slot[], filter: Usable): number {
  let best = -1;
  let total = 0;
  for (let i = 0; i < slots.length; i++) {
    if (!filter.usable(i)) continue;
    const slot = slots[i]!;
    slot.current += slot.weight;
    total += slot.weight;
    if (best === -1 || slot.current > slots[best]!.current) best = i;
  }
  if (best !== -1) slots[best]!.current -= total;
  return best;
}

/** A usable member at random, each as likely as its weight; `random` is in [0, 1). */
export function weightedRandom(slots: readonly Slot[], filter: Usable, random: number): number {
  let total = 0;
  for (let i = 0; i < slots.length; i++) if (filter.usable(i)) total += slots[i]!.weight;
  let point = random * total;
  let last = -1;
  for (let i = 0; i < slots.length; i++) {
    if (!filter.usable(i)) continue;
    last = i;
    point -= slots[i]!.weight;
    if (point < 0) return i;
  }
  // Rounding can leave a sliver past the last weight.
  return last;
}

/**
 * ip_hash as weighted rendezvous hashing: each member scores the client by a hash of both,
 * the highest usable score wins. A client keeps its member while that member is usable, and
 * when one is ejected only its own clients move (each to its next best), then come back.
 */
export function rendezvous(slots: readonly Slot[], filter: Usable, clientHash: number): number {
  let best = -1;
  let bestScore = -Infinity;
  for (let i = 0; i < slots.length; i++) {
    if (!filter.usable(i)) continue;
    const slot = slots[i]!;
    // A uniform value in (0, 1) per client and member; weight / -ln(u) makes a member win
    // in proportion to its weight.
    const unit = (mix32(clientHash ^ slot.seed) + 0.5) / 4294967296;
    const score = slot.weight / -Math.log(unit);
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  }
  return best;
}

/**
 * nginx's least_conn: the usable member with the fewest requests in flight for its weight;
 * ties (an idle pool) go by smooth weighted round robin among the tied.
 */
export function leastBusy(slots: readonly Slot[], filter: Usable): number {
  let lowest = Infinity;
  for (let i = 0; i < slots.length; i++) {
    if (!filter.usable(i)) continue;
    const load = slots[i]!.inFlight / slots[i]!.weight;
    if (load < lowest) lowest = load;
  }
  if (lowest === Infinity) return -1;
  return smoothRoundRobin(slots, {
    usable: (i) => filter.usable(i) && slots[i]!.inFlight / slots[i]!.weight === lowest,
  });
}

/** FNV-1a over the UTF-16 code units of a client address: stable across isolates and restarts. */
export function hashAddress(address: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < address.length; i++) {
    hash ^= address.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** murmur3's finalizer: spreads every input bit over the output, so close seeds score apart. */
export function mix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
