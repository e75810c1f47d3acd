interface Entry<V> {
  companyId: string;
  value: V;
  cachedUntil: number;
  weight: number;
}

/**
 * A per-process cache whose entries belong to a company, for answers that must never be served
 * stale across a committed change (principals, secret details). Correctness rests on
 * invalidation, not on the TTL:
 *
 * - `invalidateCompany` drops one company's entries, `invalidateAll` every entry;
 * - while invalidations are not known to arrive nothing is served or stored (`setEnabled(false)`);
 * - a read that raced an invalidation is not stored: `set` takes the generation read before the
 *   read and refuses the entry when anything was invalidated since.
 *
 * The TTL (and `expiresAt`, a value's own end) only bounds how long a missed invalidation could
 * matter. Bounded: the least recently used entry goes first.
 */
export const companyScopedCacheFactory = <V>({
  ttlMs,
  maxEntries,
  expiresAt,
  weight = () => 1,
}: {
  ttlMs: number;
  /** The bound on entries, or on their summed `weight` when one is given. */
  maxEntries: number;
  /** What one value counts against `maxEntries` (default 1), for values of very different sizes. */
  weight?: (value: V) => number;
  /** When a value itself stops being valid (epoch ms), or null for never. */
  expiresAt?: (value: V) => number | null;
}) => {
  const entries = new Map<string, Entry<V>>();
  const byCompany = new Map<string, Set<string>>();
  let generation = 0;
  let enabled = false;
  let held = 0;

  const drop = (key: string) => {
    const e = entries.get(key);
    if (!e) return;
    entries.delete(key);
    held -= e.weight;
    const keys = byCompany.get(e.companyId);
    keys?.delete(key);
    if (keys?.size === 0) byCompany.delete(e.companyId);
  };

  const clear = () => {
    generation += 1;
    entries.clear();
    byCompany.clear();
    held = 0;
  };

  const expired = (e: Entry<V>, nowMs: number) => {
    if (e.cachedUntil <= nowMs) return true;
    const end = expiresAt?.(e.value) ?? null;
    return end !== null && end <= nowMs;
  };

  return {
    generation: () => generation,

    get: (key: string, nowMs: number): V | undefined => {
      const e = entries.get(key);
      if (!e) return undefined;
      if (!enabled || expired(e, nowMs)) {
        drop(key);
        return undefined;
      }
      // Most recently used last: the first key is the one to evict.
      entries.delete(key);
      entries.set(key, e);
      return e.value;
    },

    /** Stores unless something was invalidated since `seenGeneration` (the read may be stale). */
    set: (companyId: string, key: string, value: V, seenGeneration: number, nowMs: number): void => {
      if (!enabled || seenGeneration !== generation) return;
      drop(key);
      const w = Math.max(1, weight(value));
      if (w > maxEntries) return;
      while (held + w > maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest === undefined) break;
        drop(oldest);
      }
      entries.set(key, { companyId, value, cachedUntil: nowMs + ttlMs, weight: w });
      held += w;
      const keys = byCompany.get(companyId) ?? new Set<string>();
      keys.add(key);
      byCompany.set(companyId, keys);
    },

    /** Drops one entry (and refuses reads that started before). */
    forget: (key: string): void => {
      generation += 1;
      drop(key);
    },

    invalidateCompany: (companyId: string): void => {
      generation += 1;
      for (const key of byCompany.get(companyId) ?? []) drop(key);
    },

    /** Drops everything (a change whose company is not known). */
    invalidateAll: clear,

    /** Caching is on only while invalidations are known to arrive. */
    setEnabled: (on: boolean): void => {
      clear();
      enabled = on;
    },

    size: () => entries.size,
  };
};

export type CompanyScopedCache<V> = ReturnType<typeof companyScopedCacheFactory<V>>;
