import { auditServiceFactory, createQueue, QueueName, redisConnection, type Logger } from '@nembl/core';
import type { DataSource } from 'typeorm';

/**
 * The API's audit service: events recorded outside a transaction go to the audit queue on a
 * fail-fast Redis connection of their own (so the recorder can be wired before, and closed
 * after, everything that records), falling back to `audit_outbox` when Redis does not take them.
 */
export const apiAuditServiceFactory = (deps: {
  dataSource: DataSource;
  logger: Logger;
  redisUrl: string;
  prefix: string;
  collapseWindowMs?: number;
}) => {
  const connection = redisConnection(deps.redisUrl, 'api');
  const queue = createQueue(QueueName.Audit, { connection, prefix: deps.prefix });
  queue.on('error', () => undefined);
  const audit = auditServiceFactory({
    dataSource: deps.dataSource,
    queue,
    logger: deps.logger,
    ...(deps.collapseWindowMs !== undefined ? { collapseWindowMs: deps.collapseWindowMs } : {}),
  });
  return {
    ...audit,
    /** Flushes pending denial summaries, then lets go of Redis. */
    close: async (): Promise<void> => {
      await audit.close();
      await queue.close().catch(() => undefined);
      connection.disconnect();
    },
  };
};

export type ApiAuditService = ReturnType<typeof apiAuditServiceFactory>;
