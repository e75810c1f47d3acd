import { awsSecretStoreFactory, type AwsSecretStoreOptions } from './aws-secret-store.js';
import { localSecretStoreFactory, type LocalSecretStoreOptions } from './local-secret-store.js';
import type { SecretStore } from './store-types.js';

export type SecretStoreConfig = ({ driver: 'local' } & LocalSecretStoreOptions) | ({ driver: 'aws' } & AwsSecretStoreOptions);

/** Builds the driver named by `SECRET_STORE`; the composition root calls this once per process. */
export const createSecretStore = (config: SecretStoreConfig): SecretStore => {
  switch (config.driver) {
    case 'local':
      return localSecretStoreFactory(config);
    case 'aws':
      return awsSecretStoreFactory(config);
  }
};

/** The store `SECRET_STORE` names, as api and worker both build it. */
export const secretStoreFromEnv = (
  env: { SECRET_STORE: 'local' | 'aws'; AWS_REGION: string; AWS_ENDPOINT_URL?: string | undefined },
  local: LocalSecretStoreOptions,
): SecretStore =>
  env.SECRET_STORE === 'aws'
    ? createSecretStore({ driver: 'aws', region: env.AWS_REGION, ...(env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL } : {}) })
    : createSecretStore({ driver: 'local', ...local });
