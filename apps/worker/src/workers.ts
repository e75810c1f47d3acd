import type { Logger } from '@nembl/core';
import type { Worker } from 'bullmq';

export interface WorkerSet {
  workers: Worker[];
  /** Finishes jobs in flight, then stops taking new ones. */
  close(): Promise<void>;
}

/** Starts every queue processor of this process; each feature adds its own. */
export const createWorkers = (deps: { logger: Logger; starters: Array<() => Worker> }): WorkerSet => {
  const workers = deps.starters.map((start) => {
    const w = start();
    w.on('failed', (job, err) =>
      // Job failure reasons are value-free by construction; log only ids and the message.
      deps.logger.warn({ queue: w.name, jobId: job?.id, attempts: job?.attemptsMade, reason: err.message }, 'job failed'),
    );
    w.on('error', (err) => deps.logger.error({ queue: w.name, err: { message: err.message } }, 'worker error'));
    return w;
  });
  return {
    workers,
    close: async () => {
      await Promise.allSettled(workers.map((w) => w.close()));
    },
  };
};
