import {
  IDENTITY_CHANNEL,
  operationOutcomeFeed,
  secretMetadataChannel,
  operationSealer,
  parseBlockedCidrs,
  pgListener,
  redisConnection,
  secretStoreFromEnv,
  type Logger,
  type SecretStore,
} from '@nembl/core';
import { STARTER_POLICIES } from '@nembl/policy';
import type { Redis } from 'ioredis';
import type { DataSource, EntityManager } from 'typeorm';
import { auditLogServiceFactory } from './audit/audit-log-service.js';
import { apiAuditServiceFactory } from './audit/audit-recorder.js';
import { auditRepositoryFactory } from './audit/audit-repository.js';
import { authServiceFactory } from './auth/auth-service.js';
import { cachedCompanyLookup } from './auth/company-lookup.js';
import { principalCacheFactory } from './auth/principal-cache.js';
import { identitySyncFactory } from './auth/identity-sync.js';
import { IDENTITY_LISTENER_NAME, identitySyncRepositoryFactory } from './auth/identity-sync-repository.js';
import { sessionRepositoryFactory } from './auth/session-repository.js';
import { authzServiceFactory } from './authz/authz-service.js';
import { companyRepositoryFactory } from './companies/company-repository.js';
import type { ApiEnv } from './env.js';
import { healthRepositoryFactory } from './health/health-repository.js';
import { metricsFactory } from './health/metrics.js';
import { permissionServiceFactory } from './permissions/permission-service.js';
import { policyRepositoryFactory } from './policies/policy-repository.js';
import { bindingRepositoryFactory } from './bindings/binding-repository.js';
import { secretReferenceServiceFactory } from './bindings/secret-reference-service.js';
import { visibilityServiceFactory } from './bindings/visibility-service.js';
import { connectorRepositoryFactory } from './connectors/connector-repository.js';
import { connectorServiceFactory } from './connectors/connector-service.js';
import { runRepositoryFactory } from './runs/run-repository.js';
import { companyScopedCacheFactory } from './cache/company-scoped-cache.js';
import { cachedRunWeight, runServiceFactory, type CachedRun } from './runs/run-service.js';
import { valueCacheFactory } from './runs/value-cache.js';
import { valueReaderFactory } from './runs/value-reader.js';
import { workflowRepositoryFactory } from './workflows/workflow-repository.js';
import { workflowServiceFactory } from './workflows/workflow-service.js';
import { operationQueueFactory } from './operations/operation-queue.js';
import { apiQueuesFactory } from './queues.js';
import { operationRepositoryFactory } from './operations/operation-repository.js';
import { operationWaiterFactory } from './operations/operation-waiter.js';
import { cachedFindDetail, secretDetailCacheFactory } from './secrets/secret-detail-cache.js';
import { cachedListPage, secretListCacheFactory } from './secrets/secret-list-cache.js';
import { metadataSyncFactory } from './secrets/metadata-sync.js';
import { secretRepositoryFactory } from './secrets/secret-repository.js';
import { secretServiceFactory } from './secrets/secret-service.js';
import { rateLimiterFactory, syncedRateLimiterFactory } from './http/rate-limit.js';
import type { Registry } from 'prom-client';
import type { ServerDeps } from './server.js';
import { tokenRepositoryFactory } from './tokens/token-repository.js';
import { tokenServiceFactory } from './tokens/token-service.js';
import { userRepositoryFactory } from './users/user-repository.js';
import { userServiceFactory } from './users/user-service.js';

export interface ApiInfra {
  env: Readonly<ApiEnv>;
  logger: Logger;
  dataSource: DataSource;
  redis: Redis;
  sessionSecret: Buffer;
  masterKey: Buffer;
  webRoot: string;
  databaseUrl: string;
  /** Redis for the outcome and metadata subscription only (default REDIS_URL; tests put a proxy in between). */
  subscriberRedisUrl?: string;
  /** Defaults to the driver SECRET_STORE names. */
  store?: SecretStore;
  now?: () => Date;
  defaultMetrics?: boolean;
  /** What `/metrics` answers (default: this process's registry; `cluster.ts`: every API process's). */
  metricsExposition?: (registry: Registry) => Promise<string>;
}

/** Wires every service of the API from its infrastructure. Used by main.ts and by tests. */
export const composeApi = (infra: ApiInfra) => {
  const { env, dataSource, redis } = infra;
  const now = infra.now ?? (() => new Date());
  const companies = companyRepositoryFactory({ dataSource });
  const userRepo = userRepositoryFactory({ dataSource });
  const sessions = sessionRepositoryFactory({ dataSource });
  const tokenRepo = tokenRepositoryFactory({ dataSource });
  const prefix = env.NEMBL_QUEUE_PREFIX;
  // One fail-fast connection for everything the API enqueues (audit events, secret operations).
  const queueConnection = redisConnection(env.REDIS_URL, 'api');
  const queues = apiQueuesFactory({ connection: queueConnection, prefix });
  const audit = apiAuditServiceFactory({
    dataSource,
    logger: infra.logger,
    queue: queues.audit,
    processes: env.NEMBL_API_PROCESSES,
  });
  const policies = policyRepositoryFactory({ dataSource });
  const authz = authzServiceFactory({ loadPolicies: policies.loadAll, policyVersion: policies.version, audit, now });
  // Every new company starts with the starter policies (ordinary, editable documents).
  const onCompanyCreated = async (em: EntityManager, companyId: string): Promise<void> => {
    for (const doc of STARTER_POLICIES) await policies.insert(em, companyId, doc);
  };
  // Who a credential stands for, for a few seconds; dropped on every identity change (NOTIFY).
  const principalCache = principalCacheFactory({ ttlMs: 10_000, maxEntries: 50_000 });
  // An identity write answers only once every API process has dropped what it cached (barrier).
  const identitySync = identitySyncFactory({
    repo: identitySyncRepositoryFactory({ dataSource }),
    logger: infra.logger,
    timeoutMs: 2000,
  });
  const identityListener = pgListener({
    databaseUrl: infra.databaseUrl,
    channel: IDENTITY_CHANNEL,
    applicationName: IDENTITY_LISTENER_NAME,
    logger: infra.logger,
    onNotify: (payload) => {
      if (identitySync.onNotify(payload)) return;
      if (payload) principalCache.invalidateCompany(payload);
      else principalCache.setEnabled(identityListener.listening());
    },
    onState: (listening) => principalCache.setEnabled(listening),
  });
  void identityListener.start();
  const auth = authServiceFactory({
    principalCache,
    dataSource,
    users: userRepo,
    sessions,
    tokens: tokenRepo,
    companies,
    audit,
    onCompanyCreated,
    allowSignup: env.NEMBL_ALLOW_SIGNUP,
    now,
  });
  const store = infra.store ?? secretStoreFromEnv(env, { dataSource, masterKey: infra.masterKey });
  const operationQueue = operationQueueFactory({ queue: queues.operations, logger: infra.logger });
  // Secret details for a few seconds; dropped on every metadata write (barrier) and finished operation.
  const detailCache = secretDetailCacheFactory({ ttlMs: 2000, maxEntries: 10_000 });
  // Runs with their pins and their secrets' attributes (never a value), so a resolution pays only
  // its audit write, which re-checks them. Dropped like the details, so they are rarely stale;
  // an expired run drops at its end. Bounded by size: 8 MiB of phases and pins as JSON
  // (cachedRunWeight; the heap holds a few times that).
  const runCache = companyScopedCacheFactory<CachedRun>({
    ttlMs: 60_000,
    maxEntries: 8 * 1024 * 1024,
    weight: cachedRunWeight,
    expiresAt: (r) => r.run.expiresAt.getTime(),
  });
  // Batches of the secret list, the same way, bounded by their size: 8 MiB of rows as JSON
  // (secretListWeight; ~16,000 typical rows; a row may be ~100 KB, so a count bound is not one).
  const listCache = secretListCacheFactory({ ttlMs: 2000, maxBytes: 8 * 1024 * 1024 });
  const metadataCaches = [detailCache, listCache, runCache];
  let metadataListening = false;
  const metadataChannel = secretMetadataChannel(prefix);
  const metadataSync = metadataSyncFactory({
    publish: (message) => queueConnection.publish(metadataChannel, message),
    listening: () => metadataListening,
    onInvalidate: (companyId, policies) => {
      for (const c of metadataCaches) c.invalidateCompany(companyId);
      // A policy write (of another process: its answer waits for this, so a deny is at once everywhere).
      if (policies) authz.invalidate(companyId);
    },
    logger: infra.logger,
    timeoutMs: 2000,
  });
  const waiter = operationWaiterFactory({
    // One subscription carries outcomes and metadata announcements, in order (see metadata-sync.ts).
    feed: (handlers) =>
      operationOutcomeFeed({
        redisUrl: infra.subscriberRedisUrl ?? env.REDIS_URL,
        prefix,
        logger: infra.logger,
        onOutcome: (outcome) => {
          // A finished operation changed its secret (status, version); the outcome names no company.
          for (const c of metadataCaches) c.invalidateAll();
          handlers.onOutcome(outcome);
        },
        onMetadata: metadataSync.onMessage,
        onState: (listening) => {
          metadataListening = listening;
          // Unsubscribed, another process's policy write is not announced here: re-check per request.
          authz.setTrusted(listening);
          for (const c of metadataCaches) c.setEnabled(listening);
          handlers.onState(listening);
        },
      }),
    logger: infra.logger,
    operations: operationRepositoryFactory({ dataSource }),
  });
  void waiter.start();
  const secretRepo = secretRepositoryFactory({ dataSource });
  const bindingRepo = bindingRepositoryFactory({ dataSource });
  const references = secretReferenceServiceFactory({ secrets: secretRepo, authz });
  const visibility = visibilityServiceFactory({ authz, bindings: bindingRepo, references });
  // Values of recent versions, for hot resolution paths: short-lived, byte-capped, per process.
  const valueCache = valueCacheFactory({ maxBytes: 32 * 1024 * 1024, ttlMs: 60_000 });
  const values = valueReaderFactory({ store, cache: valueCache, authz, audit, now });
  const connectorRepo = connectorRepositoryFactory({ dataSource });
  const connectors = connectorServiceFactory({
    dataSource,
    connectors: connectorRepo,
    bindings: bindingRepo,
    references,
    secrets: secretRepo,
    values,
    authz,
    audit,
    blockList: parseBlockedCidrs(env.NEMBL_CONNECTOR_BLOCKED_CIDRS),
    testTimeoutMs: env.NEMBL_CONNECTOR_TEST_TIMEOUT_MS,
    testMaxResponseBytes: env.NEMBL_CONNECTOR_TEST_MAX_BYTES,
    now,
  });
  const workflowRepo = workflowRepositoryFactory({ dataSource });
  const workflows = workflowServiceFactory({
    dataSource,
    workflows: workflowRepo,
    bindings: bindingRepo,
    references,
    authz,
    audit,
    now,
  });
  const runs = runServiceFactory({
    dataSource,
    runs: runRepositoryFactory({ dataSource }),
    runCache,
    workflows: workflowRepo,
    references,
    values,
    authz,
    audit,
    runTtlHours: env.NEMBL_RUN_TTL_HOURS,
    now,
  });
  const secrets = secretServiceFactory({
    dataSource,
    secrets: {
      ...secretRepo,
      findDetail: cachedFindDetail(secretRepo.findDetail, detailCache),
      listPage: cachedListPage(secretRepo.listPage, listCache),
    },
    authz,
    audit,
    sealer: operationSealer(infra.masterKey),
    queue: operationQueue,
    waiter,
    bindings: visibility.boundResources,
    presentBindings: visibility.present,
    onValueChanged: (companyId: string, name: string) => valueCache.forget(companyId, name),
    writeWaitMs: env.NEMBL_WRITE_WAIT_MS,
    now,
  });

  const serverDeps: ServerDeps = {
    logger: infra.logger,
    metrics: metricsFactory({
      defaultMetrics: infra.defaultMetrics ?? false,
      ...(infra.metricsExposition ? { exposition: infra.metricsExposition } : {}),
    }),
    readiness: [
      { name: 'postgres', check: healthRepositoryFactory({ dataSource }).ping },
      { name: 'redis', check: async () => void (await redis.ping()) },
      { name: 'store', check: () => store.ping() },
    ],
    authRoutes: {
      auth,
      users: userRepo,
      companies: cachedCompanyLookup(companies),
      loginLimiter: rateLimiterFactory({
        redis,
        prefix,
        name: 'login',
        perMinute: env.NEMBL_RATE_LIMIT_LOGIN_PER_MIN,
        processes: env.NEMBL_API_PROCESSES,
      }),
      sessionSecret: infra.sessionSecret,
      secureCookies: env.NEMBL_PUBLIC_URL.startsWith('https:'),
    },
    authz,
    users: userServiceFactory({ dataSource, users: userRepo, sessions, tokens: tokenRepo, audit, now }),
    userRepo,
    tokens: tokenServiceFactory({ dataSource, tokens: tokenRepo, users: userRepo, audit, now }),
    tokenRepo,
    auditLog: auditLogServiceFactory({ repo: auditRepositoryFactory({ dataSource }) }),
    principalCache,
    identityBarrier: identitySync.barrier,
    announceMetadata: metadataSync.announce,
    audit,
    permissions: permissionServiceFactory({ authz, secrets: secretRepo }),
    apiLimiter: syncedRateLimiterFactory({ redis, prefix, name: 'api', perMinute: env.NEMBL_RATE_LIMIT_API_PER_MIN }),
    sessionSecret: infra.sessionSecret,
    trustProxy: env.NEMBL_TRUST_PROXY,
    secureCookies: env.NEMBL_PUBLIC_URL.startsWith('https:'),
    webRoot: infra.webRoot,
    secrets,
    connectorRoutes: { connectors, repo: connectorRepo, authz, visibility },
    workflowRoutes: { workflows, repo: workflowRepo, runs, authz, visibility },
    policyRoutes: {
      dataSource,
      policies,
      authz,
      audit,
      users: userRepo,
      tokens: tokenRepo,
      secrets: secretRepo,
      announcePolicyChange: (companyId) => metadataSync.announce(companyId, { policies: true }),
      now,
    },
    now,
  };

  const close = async () => {
    await audit.close();
    await Promise.allSettled([queues.close(), waiter.close(), identityListener.close()]);
    queueConnection.disconnect();
  };

  return {
    serverDeps,
    principalCache,
    companies,
    userRepo,
    sessions,
    onCompanyCreated,
    authz,
    audit,
    store,
    secrets,
    waiter,
    valueCache,
    detailCache,
    runCache,
    listCache,
    close,
  };
};
