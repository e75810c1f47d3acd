import { enqueue, OPERATION_JOB_OPTIONS, type Logger, type TypedQueue, type QueueName } from '@nembl/core';
import type { OperationRepository } from './operation-repository.js';

/**
 * Re-enqueues operations Postgres says are accepted but Redis does not hold: a write accepted
 * while Redis was down, or a job lost with Redis. A job that still exists is left alone unless
 * it already completed or failed while the operation stayed open (then it is replaced, since
 * BullMQ ignores an add with an existing id).
 */
export const outboxRelayFactory = (deps: {
  operations: Pick<OperationRepository, 'stranded'>;
  queue: TypedQueue<typeof QueueName.SecretOperations>;
  logger: Logger;
  now: () => Date;
  queuedGraceMs?: number;
  runningGraceMs?: number;
}) => {
  const queuedGrace = deps.queuedGraceMs ?? 5000;
  const runningGrace = deps.runningGraceMs ?? 5 * 60_000;
  return async (): Promise<number> => {
    const t = deps.now().getTime();
    const ids = await deps.operations.stranded(new Date(t - queuedGrace), new Date(t - runningGrace), 500);
    let requeued = 0;
    for (const id of ids) {
      const job = await deps.queue.getJob(id);
      if (job) {
        const state = await job.getState();
        if (state !== 'completed' && state !== 'failed' && state !== 'unknown') continue;
        await job.remove().catch(() => undefined);
      }
      await enqueue(deps.queue, { operationId: id }, { jobId: id, ...OPERATION_JOB_OPTIONS });
      requeued++;
    }
    if (requeued > 0) deps.logger.info({ requeued }, 'outbox relay re-enqueued operations');
    return requeued;
  };
};
