import { describe, expect, it } from 'vitest';
import { createTokenBucket } from './token-bucket.js';

/** A clock that only moves when the test says so; sleeps are recorded, not waited. */
const fakeClock = () => {
  let t = 0;
  const slept: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      slept.push(ms);
    },
    advance: (ms: number) => {
      t += ms;
    },
    slept,
  };
};

describe('token bucket', () => {
  it('lets a burst of one second through at once, then spaces callers at the rate', async () => {
    const clock = fakeClock();
    const bucket = createTokenBucket({ ratePerSecond: 10, now: clock.now, sleep: clock.sleep });
    for (let i = 0; i < 10; i++) await bucket.take();
    expect(clock.slept).toEqual([]);
    // Concurrent callers reserve consecutive slots: 100 ms, 200 ms, 300 ms after now.
    await Promise.all([bucket.take(), bucket.take(), bucket.take()]);
    expect(clock.slept).toEqual([100, 200, 300]);
  });

  it('refills over time but never beyond its capacity', async () => {
    const clock = fakeClock();
    const bucket = createTokenBucket({ ratePerSecond: 5, burst: 2, now: clock.now, sleep: clock.sleep });
    await bucket.take();
    await bucket.take();
    clock.advance(60_000);
    await bucket.take();
    await bucket.take();
    expect(clock.slept).toEqual([]);
    await bucket.take();
    expect(clock.slept).toEqual([200]);
  });

  it('refuses a non-positive rate', () => {
    expect(() => createTokenBucket({ ratePerSecond: 0 })).toThrow(RangeError);
  });
});
