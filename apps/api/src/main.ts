import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, createDataSource, createLogger, redisConnection, resolveKeys, runMigrations } from '@nembl/core';
import { bootstrapFirstCompany } from './bootstrap/bootstrap-service.js';
import { isApiClusterWorker, joinApiCluster, superviseApiProcesses } from './cluster.js';
import { composeApi } from './compose.js';
import { loadApiEnv } from './env.js';
import { createServer } from './server.js';

const main = async () => {
  const env = loadApiEnv(process.env);
  const logger = createLogger({ level: env.LOG_LEVEL, name: 'nembl-api' });
  if (env.NEMBL_API_PROCESSES > 1 && !isApiClusterWorker()) {
    await superviseApiProcesses({ processes: env.NEMBL_API_PROCESSES, logger });
    return;
  }
  const clusterLink = joinApiCluster();
  const keys = resolveKeys(env, (msg) => logger.warn(msg));

  const dataSource = createDataSource({ url: keys.databaseUrl, applicationName: 'nembl-api' });
  await dataSource.initialize();
  const applied = await runMigrations(dataSource);
  if (applied.length > 0) logger.info({ applied }, 'migrations applied');

  // Fail fast: a request must never hang on a dead Redis.
  const redis = redisConnection(env.REDIS_URL, 'api');

  const webRoot = fileURLToPath(new URL('../../web/dist', import.meta.url));
  const composed = composeApi({
    env,
    logger,
    dataSource,
    redis,
    sessionSecret: keys.sessionSecret,
    masterKey: keys.masterKey,
    webRoot,
    databaseUrl: keys.databaseUrl,
    defaultMetrics: true,
    ...(clusterLink ? { metricsExposition: clusterLink.clusterMetrics } : {}),
  });
  clusterLink?.share(composed.serverDeps.metrics.registry);

  const boot = await bootstrapFirstCompany({
    dataSource,
    companies: composed.companies,
    users: composed.userRepo,
    onCompanyCreated: composed.onCompanyCreated,
    company: env.NEMBL_BOOTSTRAP_COMPANY,
    email: env.NEMBL_BOOTSTRAP_ADMIN_EMAIL,
    password: env.NEMBL_BOOTSTRAP_ADMIN_PASSWORD,
  });
  if (boot.created) {
    logger.info({ email: boot.email }, 'created the first company and its admin');
    if (boot.generatedPassword) {
      // Printed once, to the terminal only (never the log stream); in development also kept in
      // NEMBL_DATA_DIR so `npm start` can show it again.
      process.stdout.write(
        `\nFirst admin: ${boot.email}\nPassword:    ${boot.generatedPassword}\n(shown once; change it after signing in)\n\n`,
      );
      if (env.NODE_ENV !== 'production') {
        writeFileSync(join(env.NEMBL_DATA_DIR, 'admin-login.txt'), `${boot.email}\n${boot.generatedPassword}\n`, {
          mode: 0o600,
        });
      }
    }
  }

  // While draining, /readyz answers 503 so the load balancer stops sending new requests here.
  let draining = false;
  const serving = {
    name: 'serving',
    check: async () => {
      if (draining) throw new Error('shutting down');
    },
  };
  const app = createServer({ ...composed.serverDeps, readiness: [...composed.serverDeps.readiness, serving] });
  // Express 5 hands a failed listen (the port taken, say) to this callback instead of throwing:
  // say so and exit, rather than run on without serving.
  const server = app.listen(env.PORT, (err?: Error) => {
    if (err) {
      logger.fatal({ port: env.PORT, err: { message: err.message } }, 'api could not listen');
      process.exit(1);
    }
    logger.info({ port: env.PORT, url: env.NEMBL_PUBLIC_URL }, 'api listening');
  });
  server.keepAliveTimeout = 65_000;

  const stop = () => {
    const force = setTimeout(() => process.exit(1), env.NEMBL_WRITE_WAIT_MS + 10_000);
    force.unref();
    server.close(async () => {
      clearInterval(sweep);
      await composed.close();
      await Promise.allSettled([dataSource.destroy(), redis.quit()]);
      logger.info('stopped');
      process.exit(0);
    });
    // Keep-alive connections become idle as their last request finishes: close them as they do,
    // and cut whatever is left once the longest legitimate request (a write wait) is over.
    server.closeIdleConnections();
    const sweep = setInterval(() => server.closeIdleConnections(), 200);
    setTimeout(() => server.closeAllConnections(), env.NEMBL_WRITE_WAIT_MS + 2000).unref();
  };

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    draining = true;
    // SIGTERM comes from an orchestrator: keep serving until its health checks have seen 503.
    // Ctrl-C (SIGINT) in a terminal stops at once.
    const drainMs = signal === 'SIGTERM' ? env.NEMBL_SHUTDOWN_DRAIN_MS : 0;
    logger.info({ signal, drainMs }, 'shutting down: draining, then finishing requests in flight');
    setTimeout(stop, drainMs);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
};

main().catch((err: unknown) => {
  const message =
    err instanceof ConfigError ? err.message : `api failed to start: ${(err as Error)?.message ?? String(err)}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
