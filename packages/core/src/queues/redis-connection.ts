import { Redis, type RedisOptions } from 'ioredis';

/**
 * Two kinds of Redis connection. API connections fail fast, so a request never hangs on a dead
 * Redis; worker connections wait and reconnect, so jobs resume when Redis is back.
 */
export const redisConnection = (url: string, kind: 'api' | 'worker', extra: RedisOptions = {}): Redis => {
  const opts: RedisOptions =
    kind === 'api'
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000 }
      : { maxRetriesPerRequest: null, enableReadyCheck: true };
  const redis = new Redis(url, { ...opts, ...extra });
  // Connection errors surface through readiness and job failures; an unhandled 'error' event
  // would crash the process.
  redis.on('error', () => undefined);
  return redis;
};
