import { companyScopedCacheFactory } from '../cache/company-scoped-cache.js';
import type { SecretListFilter, SecretWithRelations } from './secret-repository.js';

type ListPage = (
  companyId: string,
  filter: SecretListFilter,
  after: string | undefined,
  limit: number,
) => Promise<SecretWithRelations[]>;

/**
 * Batches of the secret list (`listPage`: rows with their owners and bindings; metadata only, a
 * value is never in them) by company and query, per process, so `GET /secrets` does not pay its
 * statement on every request. Which rows the caller sees is still decided per request, row by
 * row, by the policy engine. Invalidated exactly like the secret detail cache
 * (`secret-detail-cache.ts`, the same hooks in compose.ts): every API write of a company drops the
 * company's batches here and, through the metadata barrier (`metadata-sync.ts`), in every other API
 * process before its answer leaves; every operation the worker finishes, and its reminder
 * bookkeeping, drops them too; nothing is served or stored while the announcements' subscription is
 * down. The TTL only bounds how long a missed announcement could matter.
 */
/**
 * What a batch counts against the cache's bound: its rows' size as JSON (the heap holds a few
 * times that, with each row's serialized text). Rows differ by 100× (a description, 50 tags and
 * 50 owners make ~100 KB), so counting rows let one tenant's long rows fill the heap.
 */
export const secretListWeight = (rows: SecretWithRelations[]): number => JSON.stringify(rows).length;

export const secretListCacheFactory = ({ ttlMs, maxBytes }: { ttlMs: number; maxBytes: number }) =>
  companyScopedCacheFactory<SecretWithRelations[]>({ ttlMs, maxEntries: maxBytes, weight: secretListWeight });

export type SecretListCache = ReturnType<typeof secretListCacheFactory>;

/**
 * The cache key of one batch: everything the statement depends on. Company ids are uuids (no '/'),
 * and the rest is one JSON array, so no two queries share a key.
 */
export const listPageKey = (companyId: string, filter: SecretListFilter, after: string | undefined, limit: number) =>
  `${companyId}/${JSON.stringify([
    after ?? null,
    limit,
    filter.q ?? null,
    filter.type ?? null,
    (filter.tags ?? []).map((t) => [t.key, t.value]),
  ])}`;

/**
 * `listPage` answered from the cache when it can; results are shared, so callers must not change
 * them. A due-date filter is never cached: its window ends at the request's `now`, so no two
 * requests ask the same.
 */
export const cachedListPage =
  (listPage: ListPage, cache: SecretListCache, nowMs: () => number = Date.now): ListPage =>
  async (companyId, filter, after, limit) => {
    if (filter.dueBefore) return listPage(companyId, filter, after, limit);
    const key = listPageKey(companyId, filter, after, limit);
    const hit = cache.get(key, nowMs());
    if (hit) return hit;
    const seen = cache.generation();
    // The lifetime counts from before the read (see `cachedFindDetail`).
    const startedAt = nowMs();
    const rows = await listPage(companyId, filter, after, limit);
    cache.set(companyId, key, rows, seen, startedAt);
    return rows;
  };
