import { createDataSource, runMigrations } from '@nembl/core';
import type { TestProject } from 'vitest/node';
import { databaseUrl, quoteIdent, withAdminClient } from './pg-admin.js';

import './provided-context.js';

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Migrates one template database per test run; each test file then clones it (CREATE DATABASE …
 * TEMPLATE is a file copy, ~100 ms) so files run in parallel without sharing state. Databases of
 * runs whose process is gone (a crashed earlier run) are dropped here.
 */
export default async function setup(project: TestProject) {
  const runId = `${process.pid}_${Date.now().toString(36)}`;
  const template = `nembl_test_${runId}_tpl`;
  await withAdminClient(async (client) => {
    const { rows } = await client.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE 'nembl\\_test\\_%'`,
    );
    for (const { datname } of rows) {
      const pid = Number(datname.split('_')[2]);
      if (Number.isInteger(pid) && !isAlive(pid)) {
        await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)} WITH (FORCE)`);
      }
    }
    await client.query(`CREATE DATABASE ${quoteIdent(template)}`);
  });
  const ds = createDataSource({ url: databaseUrl(template), poolSize: 2 });
  await ds.initialize();
  await runMigrations(ds);
  await ds.destroy();
  project.provide('templateDatabase', template);
  project.provide('testRunId', runId);

  return async () => {
    await withAdminClient(async (client) => {
      const { rows } = await client.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE datname LIKE $1`,
        [`nembl_test_${runId}_%`],
      );
      for (const { datname } of rows) {
        await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)} WITH (FORCE)`);
      }
    });
  };
}
