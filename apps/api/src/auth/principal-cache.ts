import type { Principal } from '@nembl/core';
import { companyScopedCacheFactory } from '../cache/company-scoped-cache.js';

export interface CachedPrincipal {
  principal: Principal;
  /** When the credential itself stops being valid (session or token expiry); null = never. */
  credentialExpiresAt: number | null;
  /** Last "last seen/used" written to Postgres, so touches stay at most once a minute. */
  touchedAt: number | null;
}

/**
 * Authenticated principals by credential hash, for a few seconds, so a request does not pay a
 * Postgres round trip to learn who is calling. A company-scoped cache (company-scoped-cache.ts):
 * every committed identity change notifies its company (Postgres triggers, `nembl_identity`) and
 * `invalidateCompany` drops that company's entries in every API process; the process that made a
 * change drops the company before it answers (see `invalidateOnWrite`), so its own next request
 * never sees the old principal; while the notification channel is down nothing is cached. An entry
 * also ends with its credential (session or token expiry).
 */
export const principalCacheFactory = ({ ttlMs, maxEntries }: { ttlMs: number; maxEntries: number }) => {
  const cache = companyScopedCacheFactory<CachedPrincipal>({
    ttlMs,
    maxEntries,
    expiresAt: (v) => v.credentialExpiresAt,
  });
  return {
    generation: cache.generation,
    get: cache.get,
    /** Stores unless something was invalidated since `seenGeneration` (the lookup may be stale). */
    set: (key: string, value: CachedPrincipal, seenGeneration: number, nowMs: number): void =>
      cache.set(value.principal.companyId, key, { ...value }, seenGeneration, nowMs),
    /** Marks a cached credential as touched now (its "last used" was written). */
    touched: (key: string, nowMs: number): void => {
      const e = cache.get(key, nowMs);
      if (e) e.touchedAt = nowMs;
    },
    /** Drops one credential (logout). */
    forget: cache.forget,
    invalidateCompany: cache.invalidateCompany,
    setEnabled: cache.setEnabled,
    size: cache.size,
  };
};

/** Cache keys: one namespace per credential kind, by the credential's hash. */
export const sessionCacheKey = (hash: Buffer): string => `s:${hash.toString('base64')}`;
export const tokenCacheKey = (hash: Buffer): string => `t:${hash.toString('base64')}`;

export type PrincipalCache = ReturnType<typeof principalCacheFactory>;
