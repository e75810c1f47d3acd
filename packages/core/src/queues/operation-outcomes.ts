import { randomUUID } from 'node:crypto';
import { isRedisInstance, type ConnectionOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { normalizeQueuePrefix } from './queue-keys.js';
import { redisConnection } from './redis-connection.js';

/**
 * Finished operations are announced on a Redis pub/sub channel (value-free outcomes: statuses,
 * versions, dates; see `OperationOutcome`), so a request waiting for its operation is woken with
 * the result. Not Postgres NOTIFY: Postgres serializes the commits of every transaction that
 * notifies (a global lock held across the WAL flush), which capped concurrent writes at a few
 * hundred a second. Pub/sub is at most once; waiters read the outcome themselves when they may
 * have missed one (see the API's operation waiter).
 */
export const operationOutcomeChannel = (prefix: string): string => `${normalizeQueuePrefix(prefix)}:operation-outcomes`;

/**
 * API processes announce metadata changes of a company here (value-free: company ids and barrier
 * ids; see the API's `metadata-sync.ts`). Subscribed on the outcome feed's connection, so a
 * process handles an outcome before any announcement published after it.
 */
export const secretMetadataChannel = (prefix: string): string => `${normalizeQueuePrefix(prefix)}:secret-metadata`;

/** How a message on `secretMetadataChannel` that drops a company's cached metadata starts. */
export const METADATA_INVALIDATION = 'inv ';

/** Ends a `metadataInvalidation` that also drops the company's compiled policies (a policy write). */
export const POLICIES_CHANGED = 'policies';

/**
 * `inv <company> <barrier> <origin>[ policies]`: drop the company's cached metadata (and, with
 * `policies`, its compiled policy set), then acknowledge `barrier`.
 */
export const metadataInvalidation = (companyId: string, barrier: string, origin: string, policies = false): string =>
  `${METADATA_INVALIDATION}${companyId} ${barrier} ${origin}${policies ? ` ${POLICIES_CHANGED}` : ''}`;

export interface OperationOutcomePublisher {
  /** Announces an outcome after its commit; never throws (a missed announcement only costs the waiter a read). */
  publish(outcomeJson: string): void;
  /**
   * Announces, after its commit, a change of a company's secret metadata that is not an operation
   * (reminder bookkeeping), so API processes drop what they cached of it; nobody waits for it.
   * Never throws (a missed announcement is left to the caches' TTL).
   */
  announceMetadata(companyId: string): void;
  close(): void;
}

/** The worker's side: publishes on its queue connection (or a connection of its own from options). */
export const operationOutcomePublisher = (deps: {
  connection: ConnectionOptions;
  prefix: string;
  logger: Pick<Logger, 'debug'>;
}): OperationOutcomePublisher => {
  const own = !isRedisInstance(deps.connection);
  const redis = own ? new Redis(deps.connection as RedisOptions) : (deps.connection as Redis);
  if (own) redis.on('error', () => undefined);
  const channel = operationOutcomeChannel(deps.prefix);
  const metadataChannel = secretMetadataChannel(deps.prefix);
  const origin = randomUUID();
  return {
    publish: (outcomeJson) => {
      redis
        .publish(channel, outcomeJson)
        .catch((err: Error) => deps.logger.debug({ err: { message: err.message } }, 'operation outcome not announced'));
    },
    announceMetadata: (companyId) => {
      redis
        .publish(metadataChannel, metadataInvalidation(companyId, randomUUID(), origin))
        .catch((err: Error) => deps.logger.debug({ err: { message: err.message } }, 'metadata change not announced'));
    },
    close: () => {
      if (own) redis.disconnect();
    },
  };
};

export interface OperationOutcomeFeed {
  start(): Promise<void>;
  /** True while subscribed, i.e. while no announcement can be missed. */
  listening(): boolean;
  close(): Promise<void>;
}

/**
 * The API's side: one subscriber connection per process. `onState(true)` comes each time the
 * subscription is in place (after every reconnect), `onState(false)` as soon as it is lost.
 */
export const operationOutcomeFeed = (deps: {
  redisUrl: string;
  prefix: string;
  onOutcome: (outcomeJson: string) => void;
  /** Messages on `secretMetadataChannel`, in order with the outcomes (one connection). */
  onMetadata?: (message: string) => void;
  onState?: (listening: boolean) => void;
  logger: Pick<Logger, 'warn'>;
}): OperationOutcomeFeed => {
  const channel = operationOutcomeChannel(deps.prefix);
  const metadataChannel = secretMetadataChannel(deps.prefix);
  const channels = deps.onMetadata ? [channel, metadataChannel] : [channel];
  let redis: Redis | undefined;
  let subscribed = false;
  const setState = (next: boolean) => {
    if (next === subscribed) return;
    subscribed = next;
    deps.onState?.(next);
  };
  return {
    start: async () => {
      if (redis) return;
      // Subscribes again by itself after every reconnect ('ready'); a lost connection is only reported.
      const r = redisConnection(deps.redisUrl, 'subscriber');
      redis = r;
      r.on('message', (ch: string, message: string) => {
        if (ch === channel) deps.onOutcome(message);
        else if (ch === metadataChannel) deps.onMetadata?.(message);
      });
      r.on('close', () => setState(false));
      r.on('ready', () => {
        r.subscribe(...channels).then(
          () => setState(true),
          (err: Error) =>
            deps.logger.warn({ err: { message: err.message } }, 'could not subscribe to operation outcomes'),
        );
      });
    },
    listening: () => subscribed,
    close: async () => {
      setState(false);
      redis?.disconnect();
      redis = undefined;
    },
  };
};
