import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { rateLimiterFactory, syncedRateLimiterFactory } from './rate-limit.js';

// Real Redis; each test has its own key prefix and deletes it.
const redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
const prefixes: string[] = [];
const freshPrefix = () => {
  const p = `nembltest-rl-${randomBytes(4).toString('hex')}`;
  prefixes.push(p);
  return p;
};
afterAll(async () => {
  for (const p of prefixes) {
    const keys = await redis.keys(`${p}:*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  redis.disconnect();
});

const take = async (limiter: { consume(k: string): Promise<number> }, key: string, n: number) => {
  let allowed = 0;
  for (let i = 0; i < n; i++) if ((await limiter.consume(key)) === 0) allowed += 1;
  return allowed;
};

describe('synced rate limiter', () => {
  it('allows exactly the budget in one process, then answers the seconds to wait', async () => {
    const limiter = syncedRateLimiterFactory({
      redis,
      prefix: freshPrefix(),
      name: 'api',
      perMinute: 5,
      now: () => 30_000,
    });
    expect(await take(limiter, 'token:a', 8)).toBe(5);
    const wait = await limiter.consume('token:a');
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(60);
    expect(await take(limiter, 'token:b', 1)).toBe(1);
  });

  it('shares one budget across processes through Redis', async () => {
    const prefix = freshPrefix();
    const a = syncedRateLimiterFactory({
      redis,
      prefix,
      name: 'api',
      perMinute: 10,
      syncEveryMs: 10,
      now: () => 30_000,
    });
    const b = syncedRateLimiterFactory({
      redis: redis.duplicate(),
      prefix,
      name: 'api',
      perMinute: 10,
      syncEveryMs: 10,
      now: () => 30_000,
    });
    expect(await take(a, 'token:x', 7)).toBe(7);
    await a.flush();
    // b learns a's 7 at its first sync; until then it may admit only what it sees itself.
    expect(await take(b, 'token:x', 1)).toBe(1);
    await b.flush();
    expect(await take(b, 'token:x', 10)).toBe(2);
    await b.flush();
    await a.flush();
    expect(await take(a, 'token:x', 1)).toBe(1); // a learns the total at its next sync…
    await a.flush();
    expect(await take(a, 'token:x', 5)).toBe(0); // …and then stops.
  });

  it('keeps limiting locally when Redis is unreachable', async () => {
    const dead = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    });
    dead.on('error', () => undefined);
    const limiter = syncedRateLimiterFactory({
      redis: dead,
      prefix: freshPrefix(),
      name: 'api',
      perMinute: 3,
      syncEveryMs: 5,
    });
    expect(await take(limiter, 'token:a', 3)).toBe(3);
    await limiter.flush();
    expect(await take(limiter, 'token:a', 3)).toBe(0);
    dead.disconnect();
  });
});

describe('login rate limiter', () => {
  const deadRedis = () => {
    const dead = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    });
    dead.on('error', () => undefined);
    return dead;
  };

  it('allows exactly the budget through Redis, whatever the number of processes', async () => {
    const prefix = freshPrefix();
    const limiters = [0, 1].map(() =>
      rateLimiterFactory({ redis, prefix, name: 'login', perMinute: 10, processes: 2 }),
    );
    expect((await take(limiters[0]!, 'ip|a@example.com', 7)) + (await take(limiters[1]!, 'ip|a@example.com', 7))).toBe(
      10,
    );
  });

  it('with Redis unreachable, each of N processes allows its share of the budget, so the host no more than all of it', async () => {
    const dead = deadRedis();
    const limiters = [0, 1].map(() =>
      rateLimiterFactory({ redis: dead, prefix: freshPrefix(), name: 'login', perMinute: 10, processes: 2 }),
    );
    expect(await take(limiters[0]!, 'ip|a@example.com', 10)).toBe(5);
    expect(await take(limiters[1]!, 'ip|a@example.com', 10)).toBe(5);
    // One process alone keeps the whole budget.
    const single = rateLimiterFactory({ redis: dead, prefix: freshPrefix(), name: 'login', perMinute: 10 });
    expect(await take(single, 'ip|a@example.com', 12)).toBe(10);
    dead.disconnect();
  });
});
