import type { SecretRow } from '@nembl/core';
import { describe, expect, it } from 'vitest';
import type { SecretListFilter, SecretWithRelations } from './secret-repository.js';
import { cachedListPage, listPageKey, secretListCacheFactory } from './secret-list-cache.js';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const rowOf = (companyId: string, name: string, description = 'd'): SecretWithRelations => ({
  secret: { id: `${companyId}-${name}`, companyId, name, description } as unknown as SecretRow,
  owners: [],
  bindings: [],
});

/** A listPage that counts its reads and answers from `rows` (per company). */
const source = (rows: Record<string, SecretWithRelations[]>) => {
  const calls: Array<[string, SecretListFilter, string | undefined, number]> = [];
  return {
    calls,
    listPage: async (companyId: string, filter: SecretListFilter, after: string | undefined, limit: number) => {
      calls.push([companyId, filter, after, limit]);
      return rows[companyId] ?? [];
    },
  };
};

describe('secret list cache', () => {
  it('keys a batch by everything its statement reads: company, cursor, size, text, type and tags', () => {
    const base = listPageKey(A, { q: 'db', type: 'api_key', tags: [{ key: 'env', value: 'prod' }] }, 'm', 51);
    const variants = [
      listPageKey(B, { q: 'db', type: 'api_key', tags: [{ key: 'env', value: 'prod' }] }, 'm', 51),
      listPageKey(A, { q: 'db', type: 'api_key', tags: [{ key: 'env', value: 'prod' }] }, 'n', 51),
      listPageKey(A, { q: 'db', type: 'api_key', tags: [{ key: 'env', value: 'prod' }] }, undefined, 51),
      listPageKey(A, { q: 'db', type: 'api_key', tags: [{ key: 'env', value: 'prod' }] }, 'm', 101),
      listPageKey(A, { q: 'd', type: 'api_key', tags: [{ key: 'env', value: 'prod' }] }, 'm', 51),
      listPageKey(A, { q: 'db', type: 'password', tags: [{ key: 'env', value: 'prod' }] }, 'm', 51),
      listPageKey(A, { q: 'db', type: 'api_key', tags: [{ key: 'env', value: 'dev' }] }, 'm', 51),
      listPageKey(A, { q: 'db', type: 'api_key', tags: [] }, 'm', 51),
      // Text that looks like the key's own punctuation cannot make two queries collide.
      listPageKey(A, { q: 'db","api_key', tags: [{ key: 'env', value: 'prod' }] }, 'm', 51),
    ];
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1);
  });

  it('answers a repeated query from the cache, per company, until the company is invalidated', async () => {
    const cache = secretListCacheFactory({ ttlMs: 1000, maxBytes: 1024 * 1024 });
    cache.setEnabled(true);
    const src = source({ [A]: [rowOf(A, 'db')], [B]: [rowOf(B, 'db')] });
    const list = cachedListPage(src.listPage, cache, () => 0);
    const first = await list(A, {}, undefined, 51);
    expect(await list(A, {}, undefined, 51)).toBe(first);
    expect((await list(B, {}, undefined, 51))[0]!.secret.companyId).toBe(B);
    expect(src.calls).toHaveLength(2);
    cache.invalidateCompany(B);
    await list(A, {}, undefined, 51);
    await list(B, {}, undefined, 51);
    expect(src.calls.map((c) => c[0])).toEqual([A, B, B]);
  });

  it('bounds the batches it holds by their size, so a few long rows cannot fill the heap', async () => {
    const cache = secretListCacheFactory({ ttlMs: 1000, maxBytes: 50_000 });
    cache.setEnabled(true);
    const long = 'x'.repeat(20_000);
    const src = source({ [A]: [rowOf(A, 'long', long)], [B]: [rowOf(B, 'short')] });
    const list = cachedListPage(src.listPage, cache, () => 0);
    for (const after of ['a', 'b', 'c']) await list(A, {}, after, 51); // ~20 KB each: two fit
    for (const after of ['a', 'b', 'c']) await list(A, {}, after, 51);
    expect(src.calls).toHaveLength(6); // the third evicted the first, and so on: none answered twice
    expect(cache.size()).toBe(2);
    await list(B, {}, 'a', 51);
    await list(B, {}, 'a', 51);
    expect(src.calls).toHaveLength(7); // a small batch still fits and is answered from the cache
  });

  it('never caches a due-date filter (its window ends at the request’s now)', async () => {
    const cache = secretListCacheFactory({ ttlMs: 1000, maxBytes: 1024 * 1024 });
    cache.setEnabled(true);
    const src = source({ [A]: [rowOf(A, 'db')] });
    const list = cachedListPage(src.listPage, cache, () => 0);
    const dueBefore = new Date(0);
    await list(A, { dueBefore }, undefined, 51);
    await list(A, { dueBefore }, undefined, 51);
    expect(src.calls).toHaveLength(2);
    expect(cache.size()).toBe(0);
  });

  it('does not store a batch that an invalidation overtook, nor anything while disabled', async () => {
    const cache = secretListCacheFactory({ ttlMs: 1000, maxBytes: 1024 * 1024 });
    const rows = { [A]: [rowOf(A, 'db', 'old')] };
    const src = source(rows);
    const list = cachedListPage(src.listPage, cache, () => 0);
    await list(A, {}, undefined, 51);
    expect(cache.size()).toBe(0); // not subscribed yet
    cache.setEnabled(true);
    let release: () => void = () => undefined;
    const slow = cachedListPage(
      async (...args) => {
        const read = await src.listPage(...args); // read before the write commits
        await new Promise<void>((r) => (release = r));
        return read;
      },
      cache,
      () => 0,
    );
    const reading = slow(A, {}, undefined, 51);
    await Promise.resolve();
    cache.invalidateCompany(A); // the write is announced while the stale read is in flight
    release();
    expect((await reading)[0]!.secret.description).toBe('old');
    expect(cache.size()).toBe(0);
  });
});
