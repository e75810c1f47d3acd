import { companyScopedCacheFactory } from '../cache/company-scoped-cache.js';
import type { SecretDetail } from './secret-repository.js';

/**
 * Secret details (`findDetail`: the row, owners, bindings, versions; metadata only, a value is
 * never in it) by company and name, per process, so `GET /secrets/{name}` does not pay its
 * statement on every request. The policy decision is still made per request on the cached row.
 * A company-scoped cache like the principal cache's (company-scoped-cache.ts): every API write of
 * a company drops that company here and, through the metadata barrier (metadata-sync.ts), in every
 * other API process before its answer leaves; every operation the worker finishes drops
 * everything (its announcement names no company), its reminder bookkeeping the company; nothing is
 * served or stored while the announcements' subscription is down. The TTL only bounds how long a
 * missed announcement could matter.
 */
export const secretDetailCacheFactory = ({ ttlMs, maxEntries }: { ttlMs: number; maxEntries: number }) => {
  const cache = companyScopedCacheFactory<SecretDetail>({ ttlMs, maxEntries });
  // Company ids are uuids (no '/'), so no two companies' keys can collide.
  const keyOf = (companyId: string, name: string) => `${companyId}/${name}`;
  return {
    generation: cache.generation,
    get: (companyId: string, name: string, nowMs: number): SecretDetail | undefined =>
      cache.get(keyOf(companyId, name), nowMs),
    /** Stores unless something was invalidated since `seenGeneration` (the read may be stale). */
    set: (companyId: string, name: string, detail: SecretDetail, seenGeneration: number, nowMs: number): void =>
      cache.set(companyId, keyOf(companyId, name), detail, seenGeneration, nowMs),
    invalidateCompany: cache.invalidateCompany,
    invalidateAll: cache.invalidateAll,
    setEnabled: cache.setEnabled,
    size: cache.size,
  };
};

export type SecretDetailCache = ReturnType<typeof secretDetailCacheFactory>;

/** `findDetail` answered from the cache when it can; results are shared, so callers must not change them. */
export const cachedFindDetail =
  (
    findDetail: (companyId: string, name: string) => Promise<SecretDetail | null>,
    cache: SecretDetailCache,
    nowMs: () => number = Date.now,
  ) =>
  async (companyId: string, name: string): Promise<SecretDetail | null> => {
    const hit = cache.get(companyId, name, nowMs());
    if (hit) return hit;
    const seen = cache.generation();
    // The lifetime counts from before the read: its snapshot may be as old as the read's start, and
    // the TTL must not outlast a write's barrier (2 s) by the read's own latency.
    const startedAt = nowMs();
    const found = await findDetail(companyId, name);
    if (found) cache.set(companyId, name, found, seen, startedAt);
    return found;
  };
