import { createQueue, QueueName, type QueueDeps } from '@nembl/core';

/**
 * Every queue the API adds jobs to, built once from the typed contract in core (`QueueName`,
 * `JobPayloads`) on the API's fail-fast connection; features get theirs from here.
 */
export const apiQueuesFactory = (deps: QueueDeps) => {
  const queues = {
    operations: createQueue(QueueName.SecretOperations, deps),
    audit: createQueue(QueueName.Audit, deps),
  };
  // A dead Redis surfaces as failed adds (handled where they are made), not as crashes.
  for (const q of Object.values(queues)) q.on('error', () => undefined);
  return {
    ...queues,
    close: async (): Promise<void> => {
      await Promise.allSettled(Object.values(queues).map((q) => q.close()));
    },
  };
};

export type ApiQueues = ReturnType<typeof apiQueuesFactory>;
