import { enqueue, OPERATION_JOB_OPTIONS, type Logger, type TypedQueue, type QueueName } from '@nembl/core';
import type { OperationRepository } from './operation-repository.js';

/** Job states in which a job will still run (or is running) on its own. */
const LIVE_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

/**
 * Re-enqueues operations Postgres says are open but Redis does not carry: a write accepted
 * while Redis was down, a job lost with Redis's data, or a running operation whose lease
 * expired (its worker died) and whose job is gone. A job that will still run is left alone;
 * one that already completed or failed while the operation stayed open is removed first,
 * since BullMQ ignores an add with an existing id. The operation id is the store's client
 * token, so a re-run never makes a second version.
 */
export const outboxRelayFactory = (deps: {
  operations: Pick<OperationRepository, 'stranded'>;
  queue: TypedQueue<typeof QueueName.SecretOperations>;
  logger: Logger;
  now: () => Date;
  queuedGraceMs?: number;
}) => {
  const queuedGrace = deps.queuedGraceMs ?? 5000;
  return async (): Promise<number> => {
    const t = deps.now().getTime();
    const ids = await deps.operations.stranded(new Date(t - queuedGrace), 500);
    let requeued = 0;
    for (const id of ids) {
      const job = await deps.queue.getJob(id);
      if (job) {
        if (LIVE_STATES.has(await job.getState())) continue;
        await job.remove().catch(() => undefined);
      }
      await enqueue(deps.queue, { operationId: id }, { jobId: id, ...OPERATION_JOB_OPTIONS });
      requeued++;
    }
    if (requeued > 0) deps.logger.info({ requeued }, 'outbox relay re-enqueued operations');
    return requeued;
  };
};
