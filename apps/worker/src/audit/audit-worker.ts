import { auditOutboxListener, QueueName, startWorker, type Logger, type QueueDeps, type TypedQueue } from '@nembl/core';
import type { DataSource } from 'typeorm';
import { auditChainWriterFactory } from './audit-chain-writer.js';
import { auditOutboxDrainerFactory } from './audit-outbox-drainer.js';
import { AUDIT_BATCH_MAX_EVENTS, auditProcessorFactory } from './audit-processor.js';

export const AUDIT_DRAIN_SCHEDULER_ID = 'audit-outbox-drain';

/**
 * The audit feature of the worker process: the queue processor, the outbox drainer and what
 * triggers it.
 *
 * The drainer runs (1) on a BullMQ job scheduler, every `drainEveryMs` (1 s): the guarantee,
 * whatever else is down; (2) once at start; and (3) whenever Postgres announces a committed
 * outbox row (LISTEN/NOTIFY). We nudge through Postgres rather than with a Redis job from the
 * API because a NOTIFY sent in the writing transaction is delivered exactly after its commit,
 * costs the request no Redis round trip, and still works when Redis is down, which is when the
 * outbox is used most. Several workers may all be nudged; SKIP LOCKED gives each its own rows.
 */
export const auditWorkerFactory = (deps: {
  dataSource: DataSource;
  logger: Logger;
  queue: QueueDeps;
  /** The audit queue (from the worker's queues), for the drain schedule. */
  auditQueue: TypedQueue<typeof QueueName.Audit>;
  drainEveryMs?: number;
  workerOptions?: { stalledInterval?: number; lockDuration?: number };
}) => {
  const { dataSource, logger } = deps;
  const writer = auditChainWriterFactory({ dataSource, logger });
  const drainer = auditOutboxDrainerFactory({ dataSource, writer, logger });
  const process = auditProcessorFactory({ writer, drainer });
  const queue = deps.auditQueue;
  const databaseUrl = (dataSource.options as { url?: string }).url;
  const listener = databaseUrl ? auditOutboxListener({ databaseUrl, onNotify: drainer.kick, logger }) : undefined;

  return {
    writer,
    drainer,
    queue,
    /** For `createWorkers`. Concurrency is the batch size, so a full batch can gather. */
    starter: () => startWorker(QueueName.Audit, process, deps.queue, { ...deps.workerOptions, concurrency: AUDIT_BATCH_MAX_EVENTS }),
    /** The drain schedule, for the worker's job schedules (which restore it if Redis loses it). */
    schedule: {
      queue,
      id: AUDIT_DRAIN_SCHEDULER_ID,
      every: deps.drainEveryMs ?? 1000,
      template: { name: QueueName.Audit, data: { kind: 'drain' as const }, opts: { removeOnComplete: true, removeOnFail: { count: 100 } } },
    },
    start: async (): Promise<void> => {
      await listener?.start();
      await drainer.run().catch((err: Error) => logger.warn({ err: { message: err.message } }, 'initial audit outbox drain failed'));
    },
    close: async (): Promise<void> => {
      await listener?.close();
      await process.batcher.drain();
      await drainer.settled();
    },
  };
};

export type AuditWorker = ReturnType<typeof auditWorkerFactory>;
