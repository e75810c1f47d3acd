import { createHash } from 'node:crypto';
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
export const rateLimiterFactory = (opts: { redis: Redis; prefix: string; name: string; perMinute: number }): RateLimiter => {
  const limiter = new RateLimiterRedis({
    storeClient: opts.redis,
    keyPrefix: `${opts.prefix}:rl:${opts.name}`,
    points: opts.perMinute,
    duration: 60,
    insuranceLimiter: new RateLimiterMemory({ points: opts.perMinute, duration: 60 }),
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
