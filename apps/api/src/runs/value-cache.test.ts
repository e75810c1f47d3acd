import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { valueCacheFactory } from './value-cache.js';

describe('value cache', () => {
  it('serves by version and expires after the TTL', () => {
    let t = 0;
    const c = valueCacheFactory({ maxBytes: 10_000, ttlMs: 1000, now: () => t });
    c.set('co', 's', 'v1', 'one');
    expect(c.get('co', 's', 'v1')).toBe('one');
    expect(c.get('co', 's', 'v2')).toBeUndefined();
    t = 1001;
    expect(c.get('co', 's', 'v1')).toBeUndefined();
  });

  it('evicts least recently used entries to stay under its byte cap', () => {
    const c = valueCacheFactory({ maxBytes: 3 * (100 + 64), ttlMs: 60_000 });
    c.set('co', 'a', 'v', 'a'.repeat(100));
    c.set('co', 'b', 'v', 'b'.repeat(100));
    c.set('co', 'c', 'v', 'c'.repeat(100));
    c.get('co', 'a', 'v');
    c.set('co', 'd', 'v', 'd'.repeat(100));
    expect(c.get('co', 'b', 'v')).toBeUndefined();
    expect(c.get('co', 'a', 'v')).toBeDefined();
    expect(c.stats().bytes).toBeLessThanOrEqual(3 * 164);
  });

  it('forgets every version of a secret, and never shows values when printed', () => {
    const c = valueCacheFactory({ maxBytes: 10_000, ttlMs: 60_000 });
    c.set('co', 's', 'v1', 'cache-canary-1');
    c.set('co', 's', 'v2', 'cache-canary-2');
    expect(inspect(c)).not.toContain('cache-canary');
    expect(JSON.stringify(c)).not.toContain('cache-canary');
    c.forget('co', 's');
    expect(c.get('co', 's', 'v2')).toBeUndefined();
    expect(c.stats()).toEqual({ entries: 0, bytes: 0 });
  });
});
