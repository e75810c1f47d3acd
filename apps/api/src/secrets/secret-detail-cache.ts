import type { SecretDetail } from './secret-repository.js';

interface Entry {
  companyId: string;
  detail: SecretDetail;
  cachedUntil: number;
}

/**
 * Secret details (`findDetail`: the row, owners, bindings, versions; metadata only, a value is
 * never in it) by company and name, per process, so `GET /secrets/{name}` does not pay its
 * statement on every request. The policy decision is still made per request on the cached row.
 * It works like the principal cache (principal-cache.ts), and correctness rests on invalidation:
 *
 * - every API write of a company drops that company here and, through the metadata barrier
 *   (metadata-sync.ts), in every other API process before its answer leaves; every operation the
 *   worker finishes drops everything (its announcement names no company);
 * - while the announcements' subscription is down nothing is served or stored (`setEnabled`);
 * - a read that raced an invalidation is not stored: `set` takes the generation read before the
 *   statement and refuses the entry when anything was invalidated since.
 *
 * The TTL only bounds how long a missed announcement could matter (the worker's reminder
 * bookkeeping, which answers nobody, is not announced). Bounded: least recently used goes first.
 */
export const secretDetailCacheFactory = ({ ttlMs, maxEntries }: { ttlMs: number; maxEntries: number }) => {
  const entries = new Map<string, Entry>();
  const byCompany = new Map<string, Set<string>>();
  let generation = 0;
  let enabled = false;

  // Company ids are uuids (no '/'), so no two companies' keys can collide.
  const keyOf = (companyId: string, name: string) => `${companyId}/${name}`;

  const drop = (key: string) => {
    const e = entries.get(key);
    if (!e) return;
    entries.delete(key);
    const keys = byCompany.get(e.companyId);
    keys?.delete(key);
    if (keys?.size === 0) byCompany.delete(e.companyId);
  };

  const clear = () => {
    generation += 1;
    entries.clear();
    byCompany.clear();
  };

  return {
    generation: () => generation,

    get: (companyId: string, name: string, nowMs: number): SecretDetail | undefined => {
      const key = keyOf(companyId, name);
      const e = entries.get(key);
      if (!e) return undefined;
      if (!enabled || e.cachedUntil <= nowMs) {
        drop(key);
        return undefined;
      }
      // Most recently used last: the first key is the one to evict.
      entries.delete(key);
      entries.set(key, e);
      return e.detail;
    },

    /** Stores unless something was invalidated since `seenGeneration` (the read may be stale). */
    set: (companyId: string, name: string, detail: SecretDetail, seenGeneration: number, nowMs: number): void => {
      if (!enabled || seenGeneration !== generation) return;
      const key = keyOf(companyId, name);
      drop(key);
      if (entries.size >= maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) drop(oldest);
      }
      entries.set(key, { companyId, detail, cachedUntil: nowMs + ttlMs });
      const keys = byCompany.get(companyId) ?? new Set<string>();
      keys.add(key);
      byCompany.set(companyId, keys);
    },

    invalidateCompany: (companyId: string): void => {
      generation += 1;
      for (const key of byCompany.get(companyId) ?? []) entries.delete(key);
      byCompany.delete(companyId);
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
