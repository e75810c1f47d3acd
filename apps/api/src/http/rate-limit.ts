import { createHash } from 'node:crypto';
import { limiterKey } from '@nembl/core';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

export interface RateLimiter {
  /** Takes one point for `key`; returns 0 when allowed, else the seconds to wait. */
  consume(key: string): Promise<number>;
}

/**
 * A fixed-window limiter shared by all API processes through Redis. When Redis is unreachable it
 * falls back to a per-process window rather than failing requests or letting everything through.
 * Keys are hashed so Redis holds no emails or IPs.
 */
export const rateLimiterFactory = (opts: {
  redis: Redis;
  prefix: string;
  name: string;
  perMinute: number;
  /**
   * API processes on this host (NEMBL_API_PROCESSES): while Redis is unreachable each keeps its
   * own count, so each allows its share of the budget, and the host as a whole no more than it.
   */
  processes?: number;
}): RateLimiter => {
  const limiter = new RateLimiterRedis({
    storeClient: opts.redis,
    keyPrefix: limiterKey(opts.prefix, 'rl', opts.name),
    points: opts.perMinute,
    duration: 60,
    insuranceLimiter: new RateLimiterMemory({
      points: Math.max(1, Math.floor(opts.perMinute / (opts.processes ?? 1))),
      duration: 60,
    }),
  });
  return {
    consume: async (key) => {
      const hashed = createHash('sha256').update(key).digest('base64url').slice(0, 32);
      try {
        await limiter.consume(hashed);
        return 0;
      } catch (err) {
        if (err instanceof RateLimiterRes) return Math.max(1, Math.ceil(err.msBeforeNext / 1000));
        throw err;
      }
    },
  };
};

interface WindowCount {
  window: number;
  /** The count Redis last reported for this window (every process's requests). */
  shared: number;
  /** Taken here and not yet added in Redis. */
  pending: number;
}

/**
 * The same fixed one-minute windows, counted locally and added to Redis in batches every
 * `syncEveryMs`: a request costs no Redis round trip, and every process learns the others' counts
 * at each sync. The price is bounded: between two syncs each process may let through what it
 * sees before it learns the shared total (at most `syncEveryMs` worth of its own traffic). When
 * Redis is unreachable the local counts keep limiting on their own. For generous budgets (the API
 * limit); logins keep the exact limiter above.
 */
export const syncedRateLimiterFactory = (opts: {
  redis: Redis;
  prefix: string;
  name: string;
  perMinute: number;
  syncEveryMs?: number;
  now?: () => number;
}) => {
  const syncEveryMs = opts.syncEveryMs ?? 100;
  const now = opts.now ?? Date.now;
  const counts = new Map<string, WindowCount>();
  // Hashed keys by key: a key (`token:<id>`, `s:<session id>`) is hashed once, not on every request.
  const hashes = new Map<string, string>();
  const hashOf = (key: string): string => {
    let h = hashes.get(key);
    if (h === undefined) {
      if (hashes.size >= 50_000) hashes.clear();
      h = createHash('sha256').update(key).digest('base64url').slice(0, 32);
      hashes.set(key, h);
    }
    return h;
  };
  let timer: NodeJS.Timeout | undefined;
  let syncing: Promise<void> | undefined;

  const sync = async (): Promise<void> => {
    timer = undefined;
    const window = Math.floor(now() / 60_000);
    const batch: Array<[string, WindowCount, number]> = [];
    for (const [key, c] of counts) {
      if (c.window < window) counts.delete(key);
      else if (c.pending > 0) batch.push([key, c, c.pending]);
    }
    if (batch.length === 0) return;
    const pipeline = opts.redis.pipeline();
    for (const [key, c, n] of batch) {
      const redisKey = limiterKey(opts.prefix, 'rl', opts.name, key, String(c.window));
      pipeline.incrby(redisKey, n).pexpire(redisKey, 61_000);
    }
    try {
      const results = (await pipeline.exec()) ?? [];
      batch.forEach(([, c, n], i) => {
        const [err, total] = results[i * 2] ?? [new Error('no reply'), 0];
        if (err) return;
        c.pending -= n;
        c.shared = Number(total);
      });
    } catch {
      // Redis unreachable: the pending counts stay local and keep limiting; retried next sync.
    }
  };

  const scheduleSync = () => {
    if (timer || syncing) return;
    timer = setTimeout(() => {
      syncing = sync().finally(() => {
        syncing = undefined;
        if ([...counts.values()].some((c) => c.pending > 0)) scheduleSync();
      });
    }, syncEveryMs);
    timer.unref();
  };

  return {
    consume: async (key: string): Promise<number> => {
      const t = now();
      const window = Math.floor(t / 60_000);
      const hashed = hashOf(key);
      let c = counts.get(hashed);
      if (!c || c.window !== window) {
        c = { window, shared: 0, pending: 0 };
        counts.set(hashed, c);
      }
      if (c.shared + c.pending >= opts.perMinute) return Math.max(1, Math.ceil(((window + 1) * 60_000 - t) / 1000));
      c.pending += 1;
      scheduleSync();
      return 0;
    },
    /** Adds what is pending to Redis now (shutdown, tests). */
    flush: async (): Promise<void> => {
      clearTimeout(timer);
      await syncing;
      await sync();
    },
  };
};
