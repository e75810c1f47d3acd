import type { Redis } from 'ioredis';
import type { TokenBucket } from './token-bucket.js';

export interface SharedTokenBucketOptions {
  /** A connection with a short command timeout (`redisConnection(url, 'limiter')`): a dead Redis must not stall writes. */
  redis: Redis;
  /** One key per quota, e.g. `{nembl}:store-writes:aws:eu-west-1`. */
  key: string;
  ratePerSecond: number;
  /** Tokens available at once after a quiet period; defaults to one second's worth. */
  burst?: number;
  /** Takes over while Redis does not answer; it should be conservative (a share of the rate). */
  fallback: TokenBucket;
  /** Told when the bucket switches to the fallback (with the Redis error) and back (undefined). */
  onFallback?: (err: Error | undefined) => void;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// GCRA with reservation, atomically in Redis: the key holds the "theoretical arrival time" (µs,
// Redis's own clock, so process clocks do not matter). Each call reserves the next slot and
// answers how long to wait for it; up to `burst` slots may lie in the past. One key, one round trip.
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local nextTat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', nextTat), 'PX', math.ceil((nextTat - now) / 1000) + 1000)
local wait = nextTat - now - burst * interval
if wait <= 0 then return 0 end
return math.ceil(wait / 1000)
`;

type WithReserve = Redis & { nemblReserveToken(key: string, intervalUs: number, burst: number): Promise<number> };

/**
 * A token bucket shared by every process that uses the same Redis key: the AWS write quota is per
 * account and region, not per process. Callers get slots in the order Redis sees them; the long-run
 * rate over all processes never exceeds `ratePerSecond`. While Redis fails, `fallback` paces the
 * caller instead; the next call tries Redis again.
 */
export const createSharedTokenBucket = (opts: SharedTokenBucketOptions): TokenBucket => {
  if (!(opts.ratePerSecond > 0)) throw new RangeError('ratePerSecond must be positive');
  const sleep = opts.sleep ?? defaultSleep;
  // Rounded up, so rounding can only make the rate a little lower, never higher.
  const intervalUs = Math.ceil(1_000_000 / opts.ratePerSecond);
  const burst = Math.max(1, opts.burst ?? opts.ratePerSecond);
  const redis = opts.redis as WithReserve;
  if (typeof redis.nemblReserveToken !== 'function')
    redis.defineCommand('nemblReserveToken', { numberOfKeys: 1, lua: RESERVE });
  let degraded = false;

  const take = async (): Promise<void> => {
    // Once Redis has failed, do not wait for each command to time out: pace locally until it is back.
    if (degraded && redis.status !== 'ready') return opts.fallback.take();
    let waitMs: number;
    try {
      waitMs = await redis.nemblReserveToken(opts.key, intervalUs, burst);
    } catch (err) {
      if (!degraded) opts.onFallback?.(err as Error);
      degraded = true;
      return opts.fallback.take();
    }
    if (degraded) opts.onFallback?.(undefined);
    degraded = false;
    if (waitMs > 0) await sleep(waitMs);
  };

  return { take };
};
