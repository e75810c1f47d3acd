import type { Principal } from '@nembl/core';

export interface CachedPrincipal {
  principal: Principal;
  /** When the credential itself stops being valid (session or token expiry); null = never. */
  credentialExpiresAt: number | null;
  /** Last "last seen/used" written to Postgres, so touches stay at most once a minute. */
  touchedAt: number | null;
}

interface Entry extends CachedPrincipal {
  cachedUntil: number;
}

/**
 * Authenticated principals by credential hash, for a few seconds, so a request does not pay a
 * Postgres round trip to learn who is calling. Correctness rests on invalidation, not on the TTL:
 *
 * - every committed identity change notifies its company (Postgres triggers, `nembl_identity`)
 *   and `invalidateCompany` drops that company's entries in every API process;
 * - the process that made a change drops the company before it answers (see `invalidateOnWrite`),
 *   so its own next request never sees the old principal;
 * - while the notification channel is down nothing is cached at all (`setEnabled(false)`);
 * - a lookup that raced an invalidation is not stored: `set` takes the generation read before the
 *   lookup and refuses the entry when anything was invalidated since.
 *
 * The TTL only bounds how long a missed notification could matter.
 */
export const principalCacheFactory = ({ ttlMs, maxEntries }: { ttlMs: number; maxEntries: number }) => {
  const entries = new Map<string, Entry>();
  const byCompany = new Map<string, Set<string>>();
  let generation = 0;
  let enabled = false;

  const drop = (key: string) => {
    const e = entries.get(key);
    if (!e) return;
    entries.delete(key);
    const keys = byCompany.get(e.principal.companyId);
    keys?.delete(key);
    if (keys?.size === 0) byCompany.delete(e.principal.companyId);
  };

  const clear = () => {
    generation += 1;
    entries.clear();
    byCompany.clear();
  };

  return {
    generation: () => generation,

    get: (key: string, nowMs: number): CachedPrincipal | undefined => {
      const e = entries.get(key);
      if (!e) return undefined;
      if (!enabled || e.cachedUntil <= nowMs || (e.credentialExpiresAt !== null && e.credentialExpiresAt <= nowMs)) {
        drop(key);
        return undefined;
      }
      return e;
    },

    /** Stores unless something was invalidated since `seenGeneration` (the lookup may be stale). */
    set: (key: string, value: CachedPrincipal, seenGeneration: number, nowMs: number): void => {
      if (!enabled || seenGeneration !== generation) return;
      if (entries.size >= maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) drop(oldest);
      }
      drop(key);
      entries.set(key, { ...value, cachedUntil: nowMs + ttlMs });
      const keys = byCompany.get(value.principal.companyId) ?? new Set<string>();
      keys.add(key);
      byCompany.set(value.principal.companyId, keys);
    },

    /** Marks a cached credential as touched now (its "last used" was written). */
    touched: (key: string, nowMs: number): void => {
      const e = entries.get(key);
      if (e) e.touchedAt = nowMs;
    },

    /** Drops one credential (logout). */
    forget: (key: string): void => {
      generation += 1;
      drop(key);
    },

    invalidateCompany: (companyId: string): void => {
      generation += 1;
      for (const key of byCompany.get(companyId) ?? []) entries.delete(key);
      byCompany.delete(companyId);
    },

    /** Caching is on only while invalidations are known to arrive. */
    setEnabled: (on: boolean): void => {
      clear();
      enabled = on;
    },

    size: () => entries.size,
  };
};

/** Cache keys: one namespace per credential kind, by the credential's hash. */
export const sessionCacheKey = (hash: Buffer): string => `s:${hash.toString('base64')}`;
export const tokenCacheKey = (hash: Buffer): string => `t:${hash.toString('base64')}`;

export type PrincipalCache = ReturnType<typeof principalCacheFactory>;
