import { createQueue, QueueName, type QueueDeps } from '@nembl/core';

/**
 * Every queue the worker process adds jobs to or keeps a schedule on, built once from the typed
 * contract in core (`QueueName`, `JobPayloads`); features get theirs from here.
 */
export const workerQueuesFactory = (deps: QueueDeps) => {
  const queues = {
    operations: createQueue(QueueName.SecretOperations, deps),
    outboxRelay: createQueue(QueueName.OutboxRelay, deps),
    audit: createQueue(QueueName.Audit, deps),
    reminderScan: createQueue(QueueName.ReminderScan, deps),
    reminderEmail: createQueue(QueueName.ReminderEmail, deps),
  };
  return {
    ...queues,
    close: async (): Promise<void> => {
      await Promise.allSettled(Object.values(queues).map((q) => q.close()));
    },
  };
};

export type WorkerQueues = ReturnType<typeof workerQueuesFactory>;
