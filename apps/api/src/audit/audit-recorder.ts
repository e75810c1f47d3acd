import { auditServiceFactory, type Logger, type QueueName, type TypedQueue } from '@nembl/core';
import type { DataSource } from 'typeorm';

/**
 * The API's audit service: events recorded outside a transaction go to the audit queue (on the
 * API's fail-fast queue connection), falling back to `audit_outbox` when Redis does not take them.
 */
export const apiAuditServiceFactory = (deps: {
  dataSource: DataSource;
  logger: Logger;
  /** The audit queue, from the API's queues. */
  queue: TypedQueue<typeof QueueName.Audit>;
  collapseWindowMs?: number;
  /** API processes on this host (NEMBL_API_PROCESSES): they share the host's two durable writes in flight. */
  processes?: number;
}) => {
  const { queue } = deps;
  const audit = auditServiceFactory({
    dataSource: deps.dataSource,
    queue,
    logger: deps.logger,
    durableInFlight: Math.max(1, Math.floor(2 / (deps.processes ?? 1))),
    ...(deps.collapseWindowMs !== undefined ? { collapseWindowMs: deps.collapseWindowMs } : {}),
  });
  return {
    ...audit,
    /** Flushes pending denial summaries (before the queue closes). */
    close: (): Promise<void> => audit.close(),
  };
};

export type ApiAuditService = ReturnType<typeof apiAuditServiceFactory>;
