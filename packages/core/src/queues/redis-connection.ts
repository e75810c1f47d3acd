import { Redis, type RedisOptions } from 'ioredis';

type ConnectionKind = 'api' | 'worker' | 'limiter' | 'subscriber';

const OPTIONS: Record<ConnectionKind, RedisOptions> = {
  api: { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000 },
  worker: { maxRetriesPerRequest: null, enableReadyCheck: true },
  limiter: { maxRetriesPerRequest: 1, connectTimeout: 2000, commandTimeout: 500 },
  // Subscribes itself on every 'ready' (see operationOutcomeFeed), so no automatic resubscribe.
  subscriber: { maxRetriesPerRequest: null, autoResubscribe: false, connectTimeout: 2000 },
};

/**
 * Four kinds of Redis connection. API connections fail fast, so a request never hangs on a dead
 * Redis; worker connections wait and reconnect, so jobs resume when Redis is back; limiter
 * connections (the shared store write limit) queue a command while connecting but give up on it
 * after 500 ms, so a store write is delayed at most that long before it is paced locally;
 * subscriber connections (operation outcomes) reconnect and subscribe again.
 */
export const redisConnection = (url: string, kind: ConnectionKind, extra: RedisOptions = {}): Redis => {
  const opts = OPTIONS[kind];
  const redis = new Redis(url, { ...opts, ...extra });
  // Connection errors surface through readiness and job failures; an unhandled 'error' event
  // would crash the process.
  redis.on('error', () => undefined);
  return redis;
};
