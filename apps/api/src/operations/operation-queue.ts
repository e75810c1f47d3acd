import { enqueue, OPERATION_JOB_OPTIONS, type Logger, type QueueName, type TypedQueue } from '@nembl/core';

const ENQUEUE_TIMEOUT_MS = 1000;

/**
 * Hands operations to the worker. Never blocks a request on a dead Redis: a failed or slow
 * enqueue leaves the operation `queued` in Postgres, where the outbox relay finds it.
 */
export const operationQueueFactory = ({
  queue: q,
  logger,
}: {
  queue: TypedQueue<typeof QueueName.SecretOperations>;
  logger: Logger;
}) => {
  return {
    enqueue: async (operationId: string): Promise<boolean> => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          enqueue(q, { operationId }, { jobId: operationId, ...OPERATION_JOB_OPTIONS }),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('enqueue timed out')), ENQUEUE_TIMEOUT_MS);
          }),
        ]);
        return true;
      } catch (err) {
        logger.warn(
          { operationId, err: { message: (err as Error).message } },
          'enqueue failed; the outbox relay will retry',
        );
        return false;
      } finally {
        clearTimeout(timer);
      }
    },
  };
};

export type OperationQueue = ReturnType<typeof operationQueueFactory>;
