import { randomUUID } from 'node:crypto';
import {
  MOTO_CREDENTIALS,
  MOTO_REGION,
  startAwsFaultProxy,
  startMoto,
  startTcpProxy,
  uniqueQueuePrefix,
  type AwsFaultProxy,
  type MotoServer,
} from '@nembl/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisConnection } from '../queues/redis-connection.js';
import { awsSecretStoreFactory } from './aws-secret-store.js';
import { createSharedTokenBucket } from './shared-token-bucket.js';
import { sharedStoreWriteLimiter } from './store-factory.js';
import { createTokenBucket, type TokenBucket } from './token-bucket.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const failFast = (url = REDIS_URL) => redisConnection(url, 'limiter');

/**
 * The largest excess of grants over what `rate` with `burst` allows, over every window between two
 * grants: > 0 means the rate was broken. Grants are completion times in ms.
 */
const worstExcess = (grants: number[], rate: number, burst: number): number => {
  const t = [...grants].sort((a, b) => a - b);
  let worst = -Infinity;
  for (let i = 0; i < t.length; i++) {
    for (let j = i; j < t.length; j++) worst = Math.max(worst, j - i + 1 - (burst + (rate * (t[j]! - t[i]!)) / 1000));
  }
  return worst;
};

/** Every bucket takes `each` tokens at once; resolves with all grant times. */
const drain = async (buckets: TokenBucket[], each: number): Promise<number[]> => {
  const grants: number[] = [];
  await Promise.all(
    buckets.flatMap((b) =>
      Array.from({ length: each }, async () => {
        await b.take();
        grants.push(performance.now());
      }),
    ),
  );
  return grants;
};

describe('the store write limit shared through Redis', () => {
  const connections: Redis[] = [];
  const connection = (url?: string) => {
    const c = failFast(url);
    connections.push(c);
    return c;
  };
  afterAll(async () => {
    const keys = await connections[0]?.keys(`${uniquePrefix}*`);
    if (keys?.length) await connections[0]!.unlink(...keys);
    for (const c of connections) c.disconnect();
  });
  const uniquePrefix = uniqueQueuePrefix();
  const key = () => `${uniquePrefix}:store-writes:${randomUUID()}`;

  it('holds one rate across three instances, each on its own Redis connection', async () => {
    const rate = 40;
    const burst = 5;
    const k = key();
    const buckets = [1, 2, 3].map(() =>
      createSharedTokenBucket({
        redis: connection(),
        key: k,
        ratePerSecond: rate,
        burst,
        fallback: createTokenBucket({ ratePerSecond: 1 }),
      }),
    );
    const start = performance.now();
    const grants = await drain(buckets, 20);
    const elapsed = performance.now() - start;
    expect(grants).toHaveLength(60);
    // One grant of slack for timer granularity; nothing beyond it.
    expect(worstExcess(grants, rate, burst)).toBeLessThanOrEqual(1);
    // And the rate is used, not starved: 55 tokens beyond the burst at 40/s take about 1.4 s.
    expect(elapsed).toBeGreaterThan(((60 - burst) / rate) * 1000 - 50);
    expect(elapsed).toBeLessThan(((60 - burst) / rate) * 1000 + 1500);
  });

  it('is what makes the difference: three per-process buckets at the same rate let three times as much through', async () => {
    const buckets = [1, 2, 3].map(() => createTokenBucket({ ratePerSecond: 40, burst: 5 }));
    expect(worstExcess(await drain(buckets, 20), 40, 5)).toBeGreaterThan(10);
  });

  it('paces writes locally while Redis is unreachable, and shares the rate again once it is back', async () => {
    const proxy = await startTcpProxy('127.0.0.1', 6379);
    try {
      const redis = connection(`redis://127.0.0.1:${proxy.port}`);
      await new Promise((r) => redis.once('ready', r));
      const k = key();
      const switches: Array<string | undefined> = [];
      const bucket = createSharedTokenBucket({
        redis,
        key: k,
        ratePerSecond: 1000,
        fallback: createTokenBucket({ ratePerSecond: 20, burst: 1 }),
        onFallback: (err) => switches.push(err ? 'fallback' : 'shared'),
      });
      await bucket.take();
      expect(await connections[0]!.exists(k)).toBe(1);

      proxy.pause();
      await expect.poll(() => redis.status).not.toBe('ready');
      const start = performance.now();
      await drain([bucket], 5);
      // Never stuck on the dead connection, and paced by the fallback: 4 tokens beyond its burst at 20/s.
      expect(performance.now() - start).toBeGreaterThan(190);
      expect(performance.now() - start).toBeLessThan(1000);

      await connections[0]!.del(k);
      proxy.resume();
      await expect.poll(() => redis.status, { timeout: 5000 }).toBe('ready');
      await bucket.take();
      expect(await connections[0]!.exists(k)).toBe(1);
      expect(switches).toEqual(['fallback', 'shared']);
    } finally {
      await proxy.close();
    }
  });
});

describe('three aws stores against a proxy that throttles writes above the quota', () => {
  let moto: MotoServer;
  let proxy: AwsFaultProxy;
  const connections: Redis[] = [];
  const prefix = uniqueQueuePrefix();
  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startAwsFaultProxy(moto.endpoint);
  });
  afterAll(async () => {
    const keys = await connections[0]?.keys(`${prefix}*`);
    if (keys?.length) await connections[0]!.unlink(...keys);
    for (const c of connections) c.disconnect();
    await proxy?.close();
    await moto?.stop();
  });

  // One attempt: a throttled call fails the write instead of being retried out of sight.
  const storeOf = (writeLimiter: TokenBucket) =>
    awsSecretStoreFactory({
      region: MOTO_REGION,
      endpoint: proxy.endpoint,
      credentials: MOTO_CREDENTIALS,
      retry: { attempts: 1 },
      writeLimiter,
    });

  const createMany = async (stores: ReturnType<typeof storeOf>[], each: number) => {
    const companyId = randomUUID();
    const results = await Promise.allSettled(
      stores.flatMap((store, s) =>
        Array.from({ length: each }, (_, i) =>
          store.create({ companyId, name: `s${s}-${i}`, value: `v-${s}-${i}`, clientToken: randomUUID() }),
        ),
      ),
    );
    return {
      ok: results.filter((r) => r.status === 'fulfilled').length,
      throttled: proxy.requests().filter((r) => r.throttled).length,
    };
  };

  // The proxy's bucket holds a second's worth, as a quota bucket does: calls reach it some time after
  // their slot, unevenly on a busy machine, and a tiny bucket would also refuse calls paced right.
  it('lands every write with zero throttling when the three share the limit', async () => {
    proxy.reset();
    proxy.throttleWritesAbove(30);
    const region = `r-${randomUUID()}`;
    const shared = [1, 2, 3].map(() => {
      const redis = failFast();
      connections.push(redis);
      return storeOf(sharedStoreWriteLimiter({ redis, prefix, region, ratePerSecond: 25 }));
    });
    const start = performance.now();
    expect(await createMany(shared, 25)).toEqual({ ok: 75, throttled: 0 });
    // Paced by the shared limit (70 writes beyond its burst of 5 at 25/s), not by luck.
    expect(performance.now() - start).toBeGreaterThan((70 / 25) * 1000 - 100);
  });

  it('would be throttled with a bucket per process at the same rate', async () => {
    proxy.reset();
    proxy.throttleWritesAbove(30);
    const perProcess = [1, 2, 3].map(() => storeOf(createTokenBucket({ ratePerSecond: 25 })));
    const { ok, throttled } = await createMany(perProcess, 25);
    expect(throttled).toBeGreaterThan(0);
    expect(ok).toBe(75 - throttled);
  });
});
