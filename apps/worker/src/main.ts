import { ConfigError, createDataSource, createLogger, resolveKeys, runMigrations } from '@nembl/core';
import { loadWorkerEnv } from './env.js';
import { createWorkers } from './workers.js';

const main = async () => {
  const env = loadWorkerEnv(process.env);
  const logger = createLogger({ level: env.LOG_LEVEL, name: 'nembl-worker' });
  const keys = resolveKeys(env, (msg) => logger.warn(msg));
  const dataSource = createDataSource({ url: keys.databaseUrl, applicationName: 'nembl-worker' });
  await dataSource.initialize();
  await runMigrations(dataSource);

  const set = createWorkers({ logger, starters: [] });
  logger.info({ queues: set.workers.map((w) => w.name), prefix: env.NEMBL_QUEUE_PREFIX }, 'worker started');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'worker shutting down: finishing jobs in flight');
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    await set.close();
    await dataSource.destroy();
    logger.info('worker stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  // Keep the process alive even before any queue is registered.
  setInterval(() => undefined, 1 << 30);
};

main().catch((err: unknown) => {
  const message = err instanceof ConfigError ? err.message : `worker failed to start: ${(err as Error)?.message ?? String(err)}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
