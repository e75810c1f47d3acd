import { describe, expect, it } from 'vitest';
import type { SecretRow } from '@nembl/core';
import { cachedFindDetail, secretDetailCacheFactory } from './secret-detail-cache.js';
import type { SecretDetail } from './secret-repository.js';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const detail = (companyId: string, name: string, description = 'd'): SecretDetail => ({
  secret: { id: `${companyId}-${name}`, companyId, name, description } as unknown as SecretRow,
  owners: [],
  bindings: [],
  versions: [],
});

describe('secret detail cache', () => {
  it('serves nothing until announcements are known to arrive, and nothing once they stop', () => {
    const c = secretDetailCacheFactory({ ttlMs: 1000, maxEntries: 10 });
    c.set(A, 'x', detail(A, 'x'), c.generation(), 0);
    expect(c.get(A, 'x', 1)).toBeUndefined();
    c.setEnabled(true);
    c.set(A, 'x', detail(A, 'x'), c.generation(), 0);
    expect(c.get(A, 'x', 1)?.secret.name).toBe('x');
    c.setEnabled(false);
    expect(c.get(A, 'x', 2)).toBeUndefined();
  });

  it('keeps companies apart: the same name in two companies is two entries, invalidated apart', () => {
    const c = secretDetailCacheFactory({ ttlMs: 1000, maxEntries: 10 });
    c.setEnabled(true);
    c.set(A, 'db', detail(A, 'db', 'of a'), c.generation(), 0);
    c.set(B, 'db', detail(B, 'db', 'of b'), c.generation(), 0);
    expect(c.get(A, 'db', 1)?.secret.companyId).toBe(A);
    expect(c.get(B, 'db', 1)?.secret.companyId).toBe(B);
    // A name that looks like "company/name" cannot reach another company's entry.
    expect(c.get(A, `x/${B}/db`, 1)).toBeUndefined();
    c.invalidateCompany(A);
    expect(c.get(A, 'db', 1)).toBeUndefined();
    expect(c.get(B, 'db', 1)?.secret.description).toBe('of b');
  });

  it('honours the TTL, drops everything on invalidateAll and evicts the least recently used', () => {
    const c = secretDetailCacheFactory({ ttlMs: 1000, maxEntries: 2 });
    c.setEnabled(true);
    c.set(A, 'a', detail(A, 'a'), c.generation(), 0);
    c.set(A, 'b', detail(A, 'b'), c.generation(), 0);
    expect(c.get(A, 'a', 1)).toBeDefined(); // a is now the most recently used
    c.set(A, 'c', detail(A, 'c'), c.generation(), 0);
    expect(c.size()).toBe(2);
    expect(c.get(A, 'b', 1)).toBeUndefined();
    expect(c.get(A, 'a', 999)).toBeDefined();
    expect(c.get(A, 'c', 1000)).toBeUndefined();
    c.invalidateAll();
    expect(c.get(A, 'a', 1)).toBeUndefined();
  });

  it('does not store a read that an invalidation overtook (the generation changed while it was read)', async () => {
    const c = secretDetailCacheFactory({ ttlMs: 1000, maxEntries: 10 });
    c.setEnabled(true);
    let description = 'old';
    let release: () => void = () => undefined;
    const find = cachedFindDetail(
      async (companyId, name) => {
        const d = detail(companyId, name, description); // read before the write commits
        await new Promise<void>((r) => (release = r));
        return d;
      },
      c,
      () => 0,
    );
    const reading = find(A, 'x');
    await Promise.resolve();
    description = 'new';
    c.invalidateCompany(A); // the write is announced while the stale read is in flight
    release();
    expect((await reading)?.secret.description).toBe('old');
    expect(c.get(A, 'x', 1)).toBeUndefined();
    const fresh = find(A, 'x');
    await Promise.resolve();
    release();
    expect((await fresh)?.secret.description).toBe('new');
    expect(c.get(A, 'x', 1)?.secret.description).toBe('new');
  });
  it('counts an entry’s lifetime from the start of its read, not its end', async () => {
    const c = secretDetailCacheFactory({ ttlMs: 1000, maxEntries: 10 });
    c.setEnabled(true);
    let now = 0;
    const find = cachedFindDetail(
      async (companyId, name) => {
        now += 400; // a slow statement
        return detail(companyId, name);
      },
      c,
      () => now,
    );
    await find(A, 'x');
    expect(c.get(A, 'x', 999)).toBeDefined();
    expect(c.get(A, 'x', 1000)).toBeUndefined();
  });
});
