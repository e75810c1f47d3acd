import { describe, expect, it } from 'vitest';
import { companyScopedCacheFactory } from './company-scoped-cache.js';

describe('companyScopedCacheFactory with a weight', () => {
  const make = () => {
    const cache = companyScopedCacheFactory<number[]>({ ttlMs: 1000, maxEntries: 10, weight: (v) => v.length });
    cache.setEnabled(true);
    return cache;
  };
  const rows = (n: number) => Array.from({ length: n }, (_, i) => i);

  it('bounds the summed weight, evicting the least recently used first', () => {
    const cache = make();
    cache.set('c1', 'a', rows(4), cache.generation(), 0);
    cache.set('c1', 'b', rows(4), cache.generation(), 0);
    expect(cache.get('a', 1)).toHaveLength(4); // a is now the most recently used
    cache.set('c1', 'c', rows(4), cache.generation(), 0); // 12 > 10: b goes
    expect(cache.get('b', 1)).toBeUndefined();
    expect(cache.get('a', 1)).toHaveLength(4);
    expect(cache.get('c', 1)).toHaveLength(4);
    cache.set('c2', 'd', rows(9), cache.generation(), 0); // both others go
    expect(cache.size()).toBe(1);
    expect(cache.get('d', 1)).toHaveLength(9);
  });

  it('never stores a value heavier than the bound, and keeps what it holds', () => {
    const cache = make();
    cache.set('c1', 'a', rows(3), cache.generation(), 0);
    cache.set('c1', 'big', rows(11), cache.generation(), 0);
    expect(cache.get('big', 1)).toBeUndefined();
    expect(cache.get('a', 1)).toHaveLength(3);
  });

  it('gives back the weight of what a company invalidation or a replacement drops', () => {
    const cache = make();
    cache.set('c1', 'a', rows(5), cache.generation(), 0);
    cache.set('c2', 'b', rows(5), cache.generation(), 0);
    cache.invalidateCompany('c1');
    cache.set('c2', 'b', rows(2), cache.generation(), 0); // replaces b: holds 2
    cache.set('c2', 'e', rows(8), cache.generation(), 0); // 2 + 8 fits
    expect(cache.get('b', 1)).toHaveLength(2);
    expect(cache.get('e', 1)).toHaveLength(8);
    expect(cache.size()).toBe(2);
  });
});
