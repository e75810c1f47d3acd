export * from './store-types.js';
export { STORE_LIMITS, backoffDelayMs, type RetryPolicy } from './store-fns.js';
export { createTokenBucket, type TokenBucket, type TokenBucketOptions } from './token-bucket.js';
export { awsSecretStoreFactory, type AwsSecretStoreOptions } from './aws-secret-store.js';
export { localSecretStoreFactory, type LocalSecretStoreOptions } from './local-secret-store.js';
export { createSecretStore, type SecretStoreConfig } from './store-factory.js';
