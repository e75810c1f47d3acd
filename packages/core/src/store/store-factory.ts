import type { Redis } from 'ioredis';
import { limiterKey } from '../queues/queue-keys.js';
import { awsSecretStoreFactory, type AwsSecretStoreOptions } from './aws-secret-store.js';
import { localSecretStoreFactory, type LocalSecretStoreOptions } from './local-secret-store.js';
import { createSharedTokenBucket } from './shared-token-bucket.js';
import type { SecretStore } from './store-types.js';
import { createTokenBucket, type TokenBucket } from './token-bucket.js';

export type SecretStoreConfig =
  ({ driver: 'local' } & LocalSecretStoreOptions) | ({ driver: 'aws' } & AwsSecretStoreOptions);

/** Builds the driver named by `SECRET_STORE`; the composition root calls this once per process. */
export const createSecretStore = (config: SecretStoreConfig): SecretStore => {
  switch (config.driver) {
    case 'local':
      return localSecretStoreFactory(config);
    case 'aws':
      return awsSecretStoreFactory(config);
  }
};

export interface StoreEnv {
  SECRET_STORE: 'local' | 'aws';
  AWS_REGION: string;
  AWS_ENDPOINT_URL?: string | undefined;
  NEMBL_STORE_WRITES_PER_SEC: number;
}

/** The store `SECRET_STORE` names, as api and worker both build it; the worker adds its shared write limiter. */
export const secretStoreFromEnv = (
  env: StoreEnv,
  local: LocalSecretStoreOptions,
  extra: { writeLimiter?: TokenBucket } = {},
): SecretStore =>
  env.SECRET_STORE === 'aws'
    ? createSecretStore({
        driver: 'aws',
        region: env.AWS_REGION,
        writesPerSecond: env.NEMBL_STORE_WRITES_PER_SEC,
        ...(env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL } : {}),
        ...(extra.writeLimiter ? { writeLimiter: extra.writeLimiter } : {}),
      })
    : createSecretStore({ driver: 'local', ...local });

/** The share of the rate one process keeps while Redis is unreachable: a tenth, at least 1/s. */
export const fallbackWritesPerSecond = (ratePerSecond: number): number => Math.max(1, Math.floor(ratePerSecond / 10));

/**
 * The AWS write limit shared by every worker process of a deployment that writes to `region`:
 * one Redis key per (prefix, region). Bursts are capped at a fifth of a second's worth: calls
 * reach AWS some milliseconds after their slot, unevenly, so a large burst would arrive bunched.
 * While Redis does not answer, each process falls back to `fallbackWritesPerSecond` of its own;
 * the driver's retries absorb any throttling that causes.
 */
export const sharedStoreWriteLimiter = (opts: {
  redis: Redis;
  prefix: string;
  region: string;
  ratePerSecond: number;
  onFallback?: (err: Error | undefined) => void;
}): TokenBucket =>
  createSharedTokenBucket({
    redis: opts.redis,
    key: limiterKey(opts.prefix, 'store-writes', 'aws', opts.region),
    ratePerSecond: opts.ratePerSecond,
    burst: Math.max(1, Math.ceil(opts.ratePerSecond / 5)),
    fallback: createTokenBucket({ ratePerSecond: fallbackWritesPerSecond(opts.ratePerSecond), burst: 1 }),
    ...(opts.onFallback ? { onFallback: opts.onFallback } : {}),
  });
