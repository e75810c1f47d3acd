import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { databaseUrl, quoteIdent, withAdminClient } from './pg-admin.js';
import './provided-context.js';

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database for one test file, cloned from the run's template. */
export const createTestDatabase = async (): Promise<TestDatabase> => {
  const template = inject('templateDatabase');
  const runId = inject('testRunId');
  const name = `nembl_test_${runId}_${randomBytes(5).toString('hex')}`;
  await withAdminClient((c) => c.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(template)}`));
  return {
    name,
    url: databaseUrl(name),
    drop: () =>
      withAdminClient((c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`)).then(() => undefined),
  };
};

/** A Redis key prefix no other test (or test run) uses. */
/** A fresh key prefix, already a Redis Cluster hash tag as the apps use it (`{…}`). */
export const uniqueQueuePrefix = (): string => `{nembltest-${inject('testRunId')}-${randomBytes(4).toString('hex')}}`;
