import {
  auditServiceFactory,
  secretStoreFromEnv,
  operationOutcomePublisher,
  operationSealer,
  QueueName,
  redisConnection,
  sharedStoreWriteLimiter,
  startWorker,
  type Logger,
  type QueueDeps,
  type SecretStore,
} from '@nembl/core';
import type { DataSource } from 'typeorm';
import type { WorkerEnv } from './env.js';
import { operationProcessorFactory } from './operations/operation-processor.js';
import { operationRepositoryFactory } from './operations/operation-repository.js';
import { outboxRelayFactory } from './operations/outbox-relay.js';
import { workerQueuesFactory } from './queues.js';
import { createWorkers, type WorkerSet } from './workers.js';
import { jobSchedulesFactory } from './job-schedules.js';
import { auditWorkerFactory } from './audit/audit-worker.js';
import { reminderEmailProcessorFactory } from './reminders/reminder-email-processor.js';
import { smtpMailerFactory, type Mailer } from './reminders/reminder-mailer.js';
import { reminderRepositoryFactory } from './reminders/reminder-repository.js';
import { REMINDER_EMAIL_JOB_OPTIONS, reminderScanFactory } from './reminders/reminder-scan.js';

export interface WorkerInfra {
  env: Readonly<WorkerEnv>;
  logger: Logger;
  dataSource: DataSource;
  masterKey: Buffer;
  queue: QueueDeps;
  store?: SecretStore;
  mailer?: Mailer;
  now?: () => Date;
  /** Overrides for tests that need faster timing (stall detection, relay interval). */
  timing?: {
    leaseMs?: number;
    relayEveryMs?: number;
    stalledIntervalMs?: number;
    lockDurationMs?: number;
    queuedGraceMs?: number;
    orderingDelayMs?: number;
    auditDrainEveryMs?: number;
    reminderScanEveryMs?: number;
    reminderSweepAfterMs?: number;
    emailBackoffMs?: number;
    emailAttempts?: number;
  };
}

/** Wires the worker process: queue processors, the outbox relay and its schedule. */
export const composeWorker = (infra: WorkerInfra) => {
  const { env, logger, dataSource } = infra;
  const now = infra.now ?? (() => new Date());
  const timing = infra.timing ?? {};
  // The AWS write quota is per region, so every worker process draws from one bucket in Redis, on
  // its own connection with a short timeout: when Redis stalls, writes fall back to a local share.
  const limiterRedis =
    !infra.store && env.SECRET_STORE === 'aws' ? redisConnection(env.REDIS_URL, 'limiter') : undefined;
  const store =
    infra.store ??
    secretStoreFromEnv(
      env,
      // The worker relies on a store write only once it has finished the operation (a
      // synchronous commit), so the local store need not wait for its own flush.
      { dataSource, masterKey: infra.masterKey, deferFlush: true },
      limiterRedis
        ? {
            writeLimiter: sharedStoreWriteLimiter({
              redis: limiterRedis,
              prefix: infra.queue.prefix,
              region: env.AWS_REGION,
              ratePerSecond: env.NEMBL_STORE_WRITES_PER_SEC,
              onFallback: (err) =>
                err
                  ? logger.warn(
                      { err: { message: err.message } },
                      'shared store write limit unreachable: pacing writes locally',
                    )
                  : logger.info('shared store write limit reachable again'),
            }),
          }
        : {},
    );
  const audit = auditServiceFactory({ dataSource });
  const operations = operationRepositoryFactory({ dataSource });
  const queues = workerQueuesFactory(infra.queue);
  const operationQueue = queues.operations;
  const relay = outboxRelayFactory({
    operations,
    queue: operationQueue,
    logger,
    now,
    ...(timing.queuedGraceMs !== undefined ? { queuedGraceMs: timing.queuedGraceMs } : {}),
  });
  // Audit log: event writer, outbox drainer and its schedule.
  const auditWorker = auditWorkerFactory({
    dataSource,
    logger,
    queue: infra.queue,
    auditQueue: queues.audit,
    drainEveryMs: timing.auditDrainEveryMs ?? 1000,
    workerOptions: {
      stalledInterval: timing.stalledIntervalMs ?? 30_000,
      lockDuration: timing.lockDurationMs ?? 30_000,
    },
  });

  // A crashed worker's operations are taken over once their lease (and their BullMQ lock) ends.
  const leaseMs = timing.leaseMs ?? env.NEMBL_OPERATION_LEASE_MS;
  const outcomes = operationOutcomePublisher({ connection: infra.queue.connection, prefix: infra.queue.prefix, logger });
  const applyOperation = operationProcessorFactory({
    operations,
    store,
    sealer: operationSealer(infra.masterKey),
    logger,
    now,
    leaseMs,
    onFinished: (outcomeJson) => {
      outcomes.publish(outcomeJson);
      // The operation's audit events (the API's and ours) are in the outbox now.
      auditWorker.drainer.kick();
    },
    ...(timing.orderingDelayMs !== undefined ? { orderingDelayMs: timing.orderingDelayMs } : {}),
  });

  // Rotation reminders: the scheduled scan and the owners' emails.
  const mailer = infra.mailer ?? smtpMailerFactory({ url: env.SMTP_URL, from: env.NEMBL_MAIL_FROM });
  const reminderRepo = reminderRepositoryFactory({ dataSource });
  const reminders = reminderScanFactory({
    dataSource,
    reminders: reminderRepo,
    emailQueue: queues.reminderEmail,
    repeatDays: env.NEMBL_REMINDER_REPEAT_DAYS,
    logger,
    ...(timing.reminderSweepAfterMs !== undefined ? { sweepAfterMs: timing.reminderSweepAfterMs } : {}),
    jobOptions: {
      ...REMINDER_EMAIL_JOB_OPTIONS,
      ...(timing.emailAttempts !== undefined ? { attempts: timing.emailAttempts } : {}),
      ...(timing.emailBackoffMs !== undefined
        ? { backoff: { type: 'exponential', delay: timing.emailBackoffMs, jitter: 0.5 } }
        : {}),
    },
  });
  const sendReminder = reminderEmailProcessorFactory({
    dataSource,
    reminders: reminderRepo,
    mailer,
    audit,
    publicUrl: env.NEMBL_PUBLIC_URL,
    logger,
    now,
    // API processes cache secret details and lists: what the reminder recorded must show at once.
    onSecretChanged: outcomes.announceMetadata,
  });

  const relayEveryMs = timing.relayEveryMs ?? 5000;
  // Job schedulers, not repeatable adds: restarts and extra workers upsert the same ones.
  const schedules = jobSchedulesFactory({
    logger,
    checkEveryMs: relayEveryMs,
    schedules: [
      { queue: queues.outboxRelay, id: 'outbox-relay', every: relayEveryMs, template: { name: QueueName.OutboxRelay, data: {} } },
      {
        queue: queues.reminderScan,
        id: 'reminder-scan',
        every: timing.reminderScanEveryMs ?? env.NEMBL_REMINDER_SCAN_EVERY_MS,
        template: { name: QueueName.ReminderScan, data: {} },
      },
      auditWorker.schedule,
    ],
  });

  let set: WorkerSet | undefined;
  return {
    store,
    relay,
    operationQueue,
    auditWorker,
    reminders,
    schedules,
    start: async (): Promise<WorkerSet> => {
      await schedules.start();
      set = createWorkers({
        logger,
        starters: [
          () =>
            startWorker(QueueName.SecretOperations, applyOperation, infra.queue, {
              concurrency: env.NEMBL_WORKER_CONCURRENCY,
              stalledInterval: timing.stalledIntervalMs ?? leaseMs,
              lockDuration: timing.lockDurationMs ?? leaseMs,
              maxStalledCount: 5,
            }),
          () => startWorker(QueueName.OutboxRelay, async () => relay(), infra.queue, { concurrency: 1 }),
          auditWorker.starter,
          () =>
            startWorker(
              QueueName.ReminderScan,
              async () => {
                const { claimed } = await reminders.scan(now());
                const swept = await reminders.sweep(now());
                return { claimed, swept };
              },
              infra.queue,
              { concurrency: 1 },
            ),
          () => startWorker(QueueName.ReminderEmail, sendReminder, infra.queue, { concurrency: 20 }),
        ],
      });
      await auditWorker.start();
      // Sweep once at start: whatever was accepted while no worker or no Redis was around.
      await relay().catch((err: Error) =>
        logger.warn({ err: { message: err.message } }, 'initial outbox sweep failed'),
      );
      return set;
    },
    /** Graceful by default; `force` abandons jobs in flight, as a crash would (they stall and are retried). */
    close: async (opts: { force?: boolean } = {}) => {
      schedules.stop();
      await (opts.force ? Promise.allSettled(set?.workers.map((w) => w.close(true)) ?? []) : set?.close());
      await auditWorker.close();
      await queues.close();
      limiterRedis?.disconnect();
      outcomes.close();
      mailer.close();
    },
  };
};

export type ComposedWorker = ReturnType<typeof composeWorker>;
