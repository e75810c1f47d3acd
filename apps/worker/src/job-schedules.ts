import type { Logger } from '@nembl/core';
import type { Queue } from 'bullmq';

export interface JobSchedule {
  queue: Pick<Queue, 'getJobScheduler' | 'upsertJobScheduler'>;
  id: string;
  every: number;
  template: Parameters<Queue['upsertJobScheduler']>[2];
}

/**
 * The worker's recurring jobs (outbox relay, audit drain, reminder scan) live in Redis as job
 * schedulers. Redis can lose them with the rest of its data (a restart without persistence, a
 * failover, a flush), and nothing would ever run the relay again. So every worker checks them on
 * a timer of its own and puts back any that is missing; an upsert of an existing one is harmless.
 */
export const jobSchedulesFactory = (deps: { schedules: JobSchedule[]; checkEveryMs: number; logger: Logger }) => {
  let timer: NodeJS.Timeout | undefined;
  const ensure = async (): Promise<number> => {
    let restored = 0;
    for (const s of deps.schedules) {
      if (await s.queue.getJobScheduler(s.id)) continue;
      await s.queue.upsertJobScheduler(s.id, { every: s.every }, s.template);
      restored++;
    }
    return restored;
  };
  return {
    ensure,
    /** Ensures them now (failing loudly), then keeps checking. */
    start: async (): Promise<void> => {
      await ensure();
      timer = setInterval(() => {
        ensure().then(
          (restored) => {
            if (restored > 0) deps.logger.warn({ restored }, 'job schedulers were missing from Redis; restored them');
          },
          (err: Error) => deps.logger.warn({ err: { message: err.message } }, 'could not check the job schedulers'),
        );
      }, deps.checkEveryMs);
      timer.unref();
    },
    stop: () => clearInterval(timer),
  };
};
