import { describe, expect, it } from 'vitest';
import { batchWhileBusy } from './batch-while-busy.js';

const deferred = () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  return { gate, release };
};

describe('batchWhileBusy', () => {
  it('sends a call at once when nothing runs, and gathers the calls that come while it runs', async () => {
    const batches: number[][] = [];
    const first = deferred();
    const run = batchWhileBusy<number, number>({
      maxInFlight: 1,
      run: async (items) => {
        batches.push(items);
        if (batches.length === 1) await first.gate;
        return items.map((i) => i * 10);
      },
    });
    const a = run(1);
    const rest = [run(2), run(3), run(4)];
    expect(batches).toEqual([[1]]);
    first.release();
    expect(await Promise.all([a, ...rest])).toEqual([10, 20, 30, 40]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('keeps items with the same key in different batches, and caps a batch', async () => {
    const batches: string[][] = [];
    const gate = deferred();
    const run = batchWhileBusy<string, string>({
      maxInFlight: 1,
      maxItems: 2,
      keyOf: (s) => s[0]!,
      run: async (items) => {
        batches.push(items);
        if (batches.length === 1) await gate.gate;
        return items;
      },
    });
    const all = [run('x0'), run('a1'), run('a2'), run('b1'), run('c1')];
    gate.release();
    await Promise.all(all);
    expect(batches).toEqual([['x0'], ['a1', 'b1'], ['a2', 'c1']]);
  });

  it("runs the items of a failed batch again one by one, so one item's failure is not another's", async () => {
    const batches: number[][] = [];
    const gate = deferred();
    const run = batchWhileBusy<number, number>({
      maxInFlight: 1,
      run: async (items) => {
        batches.push(items);
        if (batches.length === 1) await gate.gate;
        if (items.includes(3)) throw new Error('boom');
        return items;
      },
    });
    const first = run(1);
    const later = [run(2), run(3), run(4)].map((p) => p.then(String, (e: Error) => e.message));
    gate.release();
    await first;
    expect(await Promise.all(later)).toEqual(['2', 'boom', '4']);
    expect(batches).toEqual([[1], [2, 3, 4], [2], [3], [4]]);
  });

  it('splits a failed batch only for the errors splitOnError accepts; any other fails every item at once', async () => {
    const batches: number[][] = [];
    const gate = deferred();
    const run = batchWhileBusy<number, number>({
      maxInFlight: 1,
      splitOnError: (err) => (err as Error).message === 'bad item',
      run: async (items) => {
        batches.push(items);
        if (batches.length === 1) await gate.gate;
        if (items.includes(3)) throw new Error('bad item');
        if (items.includes(6)) throw new Error('connection lost');
        return items;
      },
    });
    const first = run(1);
    const later = [run(2), run(3), run(4)].map((p) => p.then(String, (e: Error) => e.message));
    gate.release();
    await first;
    expect(await Promise.all(later)).toEqual(['2', 'bad item', '4']);
    await new Promise((r) => setTimeout(r, 0)); // the retries' slot is free again
    batches.length = 0;
    const held = run(0);
    const busy = batches.length;
    const lost = [run(5), run(6), run(7)].map((p) => p.then(String, (e: Error) => e.message));
    await held;
    expect(busy).toBe(1);
    expect(await Promise.all(lost)).toEqual(['connection lost', 'connection lost', 'connection lost']);
    expect(batches).toEqual([[0], [5, 6, 7]]);
  });
});
