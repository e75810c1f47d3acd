import { describe, expect, it } from 'vitest';
import { microBatcher } from './micro-batcher.js';

describe('microBatcher', () => {
  it('groups items that arrive within the wait window into one batch', async () => {
    const batches: number[][] = [];
    const b = microBatcher<number>({
      maxItems: 100,
      maxWaitMs: 20,
      flush: async (items) => {
        batches.push(items);
        return items.map(() => undefined);
      },
    });
    await Promise.all([1, 2, 3].map((n) => b.add(n)));
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('flushes at maxItems without waiting for the window', async () => {
    const batches: number[][] = [];
    const b = microBatcher<number>({
      maxItems: 2,
      maxWaitMs: 60_000,
      flush: async (items) => {
        batches.push(items);
        return items.map(() => undefined);
      },
    });
    await Promise.all([b.add(1), b.add(2)]);
    const third = b.add(3);
    await b.drain();
    await third;
    expect(batches).toEqual([[1, 2], [3]]);
  });

  it("settles each caller with its own item's outcome", async () => {
    const b = microBatcher<number>({
      maxItems: 10,
      maxWaitMs: 5,
      flush: async (items) => items.map((n) => (n % 2 === 0 ? new Error(`even ${n}`) : undefined)),
    });
    const results = await Promise.allSettled([1, 2, 3, 4].map((n) => b.add(n)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected']);
    expect((results[1] as PromiseRejectedResult).reason.message).toBe('even 2');
  });

  it('fails every item of a batch whose flush throws', async () => {
    const b = microBatcher<number>({
      maxItems: 10,
      maxWaitMs: 5,
      flush: async () => {
        throw new Error('database down');
      },
    });
    const results = await Promise.allSettled([b.add(1), b.add(2)]);
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
  });
});
