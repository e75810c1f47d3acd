import { auditServiceFactory, createQueue, QueueName, type Logger, type QueueDeps } from '@nembl/core';
import type { DataSource } from 'typeorm';

/**
 * The API's audit service: events recorded outside a transaction go to the audit queue (on the
 * API's fail-fast queue connection), falling back to `audit_outbox` when Redis does not take them.
 */
export const apiAuditServiceFactory = (deps: {
  dataSource: DataSource;
  logger: Logger;
  queue: QueueDeps;
  collapseWindowMs?: number;
}) => {
  const queue = createQueue(QueueName.Audit, deps.queue);
  queue.on('error', () => undefined);
  const audit = auditServiceFactory({
    dataSource: deps.dataSource,
    queue,
    logger: deps.logger,
    ...(deps.collapseWindowMs !== undefined ? { collapseWindowMs: deps.collapseWindowMs } : {}),
  });
  return {
    ...audit,
    /** Flushes pending denial summaries, then closes the queue (the connection is the caller's). */
    close: async (): Promise<void> => {
      await audit.close();
      await queue.close().catch(() => undefined);
    },
  };
};

export type ApiAuditService = ReturnType<typeof apiAuditServiceFactory>;
