import { DataSource, type MigrationInterface } from 'typeorm';
import {
  AuditOutboxEntity,
  CompanyEntity,
  ServiceTokenEntity,
  SessionEntity,
  UserEntity,
} from './entities/identity-entities.js';
import { OperationEntity } from '../operations/operation-entities.js';
import { SecretEntity, SecretOwnerEntity, SecretVersionEntity } from '../secrets/secret-entities.js';
import { Foundation1732870000000 } from './migrations/1732870000000-foundation.js';
import { LocalStore1732870100000 } from './migrations/1732870100000-local-store.js';
import { Secrets1732870200000 } from './migrations/1732870200000-secrets.js';
import { Audit1732870300000 } from './migrations/1732870300000-audit.js';
import { Policies1732870400000 } from './migrations/1732870400000-policies.js';
import { Bindings1732870500000 } from './migrations/1732870500000-bindings.js';
import { Reminders1732870600000 } from './migrations/1732870600000-reminders.js';
import { TokenLineage1732870790000 } from './migrations/1732870790000-token-lineage.js';
import { IdentityNotify1732870900000 } from './migrations/1732870900000-identity-notify.js';
import { OperationLease1732871100000 } from './migrations/1732871100000-operation-lease.js';

export const ENTITIES = [
  CompanyEntity,
  UserEntity,
  SessionEntity,
  ServiceTokenEntity,
  AuditOutboxEntity,
  SecretEntity,
  SecretVersionEntity,
  SecretOwnerEntity,
  OperationEntity,
];

// Listed explicitly (not globbed) so the compiled and the source tree behave the same.
export const MIGRATIONS: Array<new () => MigrationInterface> = [
  Foundation1732870000000,
  LocalStore1732870100000,
  Secrets1732870200000,
  Audit1732870300000,
  Policies1732870400000,
  Bindings1732870500000,
  Reminders1732870600000,
  TokenLineage1732870790000,
  IdentityNotify1732870900000,
  OperationLease1732871100000,
];

export interface DataSourceOptions {
  url: string;
  poolSize?: number;
  applicationName?: string;
}

export const createDataSource = ({ url, poolSize = 10, applicationName = 'nembl' }: DataSourceOptions): DataSource =>
  new DataSource({
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    logging: false,
    applicationName,
    extra: { max: poolSize, connectionTimeoutMillis: 5000 },
  });

const MIGRATION_LOCK = 7_311_990_001;

/**
 * Applies pending migrations under a Postgres advisory lock, so several processes starting at
 * once (api replicas, worker) never race each other through the same migration.
 */
export const runMigrations = async (ds: DataSource): Promise<string[]> => {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const applied = await ds.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
};
