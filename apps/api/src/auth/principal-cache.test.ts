import { describe, expect, it } from 'vitest';
import type { Principal } from '@nembl/core';
import { principalCacheFactory } from './principal-cache.js';

const principal = (companyId: string, id = 'p1'): Principal => ({
  type: 'token',
  id,
  companyId,
  roles: ['Runner'],
  groups: [],
  label: id,
});
const entry = (companyId: string, id?: string, credentialExpiresAt: number | null = null) => ({
  principal: principal(companyId, id),
  credentialExpiresAt,
  touchedAt: 0,
});

describe('principal cache', () => {
  it('caches nothing until invalidations are known to arrive', () => {
    const c = principalCacheFactory({ ttlMs: 1000, maxEntries: 10 });
    c.set('k', entry('c1'), c.generation(), 0);
    expect(c.get('k', 1)).toBeUndefined();
    c.setEnabled(true);
    c.set('k', entry('c1'), c.generation(), 0);
    expect(c.get('k', 1)?.principal.id).toBe('p1');
    c.setEnabled(false);
    expect(c.get('k', 2)).toBeUndefined();
  });

  it('refuses a lookup that raced an invalidation of any company', () => {
    const c = principalCacheFactory({ ttlMs: 1000, maxEntries: 10 });
    c.setEnabled(true);
    const seen = c.generation();
    c.invalidateCompany('other');
    c.set('k', entry('c1'), seen, 0);
    expect(c.get('k', 1)).toBeUndefined();
  });

  it('drops only the invalidated company, and honours the TTL and the credential expiry', () => {
    const c = principalCacheFactory({ ttlMs: 1000, maxEntries: 10 });
    c.setEnabled(true);
    c.set('a', entry('c1', 'a'), c.generation(), 0);
    c.set('b', entry('c2', 'b', 500), c.generation(), 0);
    c.invalidateCompany('c1');
    expect(c.get('a', 1)).toBeUndefined();
    expect(c.get('b', 1)?.principal.id).toBe('b');
    expect(c.get('b', 500)).toBeUndefined();
    c.set('d', entry('c3', 'd'), c.generation(), 0);
    expect(c.get('d', 999)).toBeDefined();
    expect(c.get('d', 1000)).toBeUndefined();
  });

  it('forgets one credential and stays within its size', () => {
    const c = principalCacheFactory({ ttlMs: 1000, maxEntries: 2 });
    c.setEnabled(true);
    for (const k of ['a', 'b', 'c']) c.set(k, entry('c1', k), c.generation(), 0);
    expect(c.size()).toBe(2);
    expect(c.get('a', 1)).toBeUndefined();
    c.forget('b');
    expect(c.get('b', 1)).toBeUndefined();
    expect(c.get('c', 1)).toBeDefined();
  });
});
