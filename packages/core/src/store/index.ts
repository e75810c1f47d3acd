// The store's front door: the port, its errors, the two drivers and the factory that picks one.
export * from './store-types.js';
export { STORE_LIMITS } from './store-fns.js';
export { awsSecretStoreFactory, type AwsSecretStoreOptions } from './aws-secret-store.js';
export { localSecretStoreFactory, type LocalSecretStoreOptions } from './local-secret-store.js';
export {
  createSecretStore,
  fallbackWritesPerSecond,
  secretStoreFromEnv,
  sharedStoreWriteLimiter,
  type SecretStoreConfig,
  type StoreEnv,
} from './store-factory.js';
export { createTokenBucket, type TokenBucket } from './token-bucket.js';
export { createSharedTokenBucket, type SharedTokenBucketOptions } from './shared-token-bucket.js';
