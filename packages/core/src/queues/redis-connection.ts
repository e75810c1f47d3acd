import { Redis, type RedisOptions } from 'ioredis';

const OPTIONS: Record<'api' | 'worker' | 'limiter', RedisOptions> = {
  api: { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000 },
  worker: { maxRetriesPerRequest: null, enableReadyCheck: true },
  limiter: { maxRetriesPerRequest: 1, connectTimeout: 2000, commandTimeout: 500 },
};

/**
 * Three kinds of Redis connection. API connections fail fast, so a request never hangs on a dead
 * Redis; worker connections wait and reconnect, so jobs resume when Redis is back; limiter
 * connections (the shared store write limit) queue a command while connecting but give up on it
 * after 500 ms, so a store write is delayed at most that long before it is paced locally.
 */
export const redisConnection = (url: string, kind: 'api' | 'worker' | 'limiter', extra: RedisOptions = {}): Redis => {
  const opts = OPTIONS[kind];
  const redis = new Redis(url, { ...opts, ...extra });
  // Connection errors surface through readiness and job failures; an unhandled 'error' event
  // would crash the process.
  redis.on('error', () => undefined);
  return redis;
};
