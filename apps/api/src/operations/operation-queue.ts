import {
  batchWhileBusy,
  enqueueBulk,
  OPERATION_JOB_OPTIONS,
  type Logger,
  type QueueName,
  type TypedQueue,
} from '@nembl/core';

const ENQUEUE_TIMEOUT_MS = 1000;

/**
 * Hands operations to the worker. Never blocks a request on a dead Redis: a failed or slow
 * enqueue leaves the operation `queued` in Postgres, where the outbox relay finds it. Requests
 * that enqueue at the same time share one round trip (`batchWhileBusy`, `addBulk`).
 */
export const operationQueueFactory = ({
  queue,
  logger,
}: {
  queue: TypedQueue<typeof QueueName.SecretOperations>;
  logger: Logger;
}) => {
  const add = batchWhileBusy<string, true>({
    // Redis down or slow: the whole batch is, so trying each again would only make them wait longer.
    splitOnError: false,
    run: async (ids) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          enqueueBulk(
            queue,
            ids.map((operationId) => ({
              data: { operationId },
              opts: { jobId: operationId, ...OPERATION_JOB_OPTIONS },
            })),
          ),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('enqueue timed out')), ENQUEUE_TIMEOUT_MS);
          }),
        ]);
        return ids.map(() => true as const);
      } finally {
        clearTimeout(timer);
      }
    },
  });
  return {
    enqueue: async (operationId: string): Promise<boolean> => {
      try {
        return await add(operationId);
      } catch (err) {
        logger.warn(
          { operationId, err: { message: (err as Error).message } },
          'enqueue failed; the outbox relay will retry',
        );
        return false;
      }
    },
  };
};

export type OperationQueue = ReturnType<typeof operationQueueFactory>;
