import { ConfigError, createDataSource, createLogger, redisConnection, resolveKeys, runMigrations } from '@nembl/core';
import { composeWorker } from './compose.js';
import { loadWorkerEnv } from './env.js';

const main = async () => {
  const env = loadWorkerEnv(process.env);
  const logger = createLogger({ level: env.LOG_LEVEL, name: 'nembl-worker' });
  const keys = resolveKeys(env, (msg) => logger.warn(msg));
  const dataSource = createDataSource({ url: keys.databaseUrl, applicationName: 'nembl-worker' });
  await dataSource.initialize();
  await runMigrations(dataSource);

  // Workers need a connection that waits for Redis rather than failing: jobs resume when it is back.
  const connection = redisConnection(env.REDIS_URL, 'worker');
  const worker = composeWorker({ env, logger, dataSource, masterKey: keys.masterKey, queue: { connection, prefix: env.NEMBL_QUEUE_PREFIX } });
  const set = await worker.start();
  logger.info({ queues: set.workers.map((w) => w.name), prefix: env.NEMBL_QUEUE_PREFIX, store: worker.store.driver }, 'worker started');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'worker shutting down: finishing jobs in flight');
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    await worker.close();
    connection.disconnect();
    await dataSource.destroy();
    logger.info('worker stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
};

main().catch((err: unknown) => {
  const message = err instanceof ConfigError ? err.message : `worker failed to start: ${(err as Error)?.message ?? String(err)}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
