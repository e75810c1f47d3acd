import { enqueueBulk, nextNotifyAfter, occurrenceAt, reminderJobId, type Logger, type QueueName, type TypedQueue } from '@nembl/core';
import type { DataSource } from 'typeorm';
import type { RecordedDelivery, ReminderRepository } from './reminder-repository.js';

export const REMINDER_EMAIL_JOB_OPTIONS = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 2000, jitter: 0.5 },
  // Kept a week so a re-add of the same occurrence id (a retried scan or sweep) is ignored.
  removeOnComplete: { age: 7 * 24 * 3600 },
  removeOnFail: { age: 30 * 24 * 3600 },
} as const;

/**
 * The reminder scan. Each batch, in one transaction: claims secrets whose next reminder is
 * owed (`FOR UPDATE SKIP LOCKED` on the partial index), records the occurrence (a
 * `reminder_deliveries` row, unique per secret, due date and n) and moves the secret's next
 * reminder time on. After commit it enqueues one email job per occurrence with a deterministic
 * id. Overlapping scans skip each other's rows; a crash after commit leaves `pending`
 * deliveries that the sweep re-enqueues under the same ids.
 */
export const reminderScanFactory = (deps: {
  dataSource: DataSource;
  reminders: ReminderRepository;
  emailQueue: TypedQueue<typeof QueueName.ReminderEmail>;
  repeatDays: number;
  logger: Logger;
  batchSize?: number;
  /** Pending deliveries older than this are re-enqueued by the sweep. */
  sweepAfterMs?: number;
  jobOptions?: typeof REMINDER_EMAIL_JOB_OPTIONS | Record<string, unknown>;
}) => {
  const jobOptions = deps.jobOptions ?? REMINDER_EMAIL_JOB_OPTIONS;
  const batchSize = deps.batchSize ?? 1000;
  const sweepAfterMs = deps.sweepAfterMs ?? 60_000;

  const { reminders } = deps;

  const enqueue = async (rows: RecordedDelivery[]) => {
    for (let i = 0; i < rows.length; i += 500) {
      await enqueueBulk(
        deps.emailQueue,
        rows.slice(i, i + 500).map((r) => ({
          data: { deliveryId: r.id },
          opts: { ...jobOptions, jobId: reminderJobId(r.secretId, r.dueAt, r.n) },
        })),
      );
    }
  };

  /**
   * Claims and records one batch. `claimed` counts the secrets taken; `recorded` the occurrences
   * that were new (an occurrence already recorded, e.g. after the same interval was set again,
   * is not enqueued twice).
   */
  const claimBatch = (now: Date): Promise<{ claimed: number; recorded: RecordedDelivery[] }> =>
    deps.dataSource.transaction(async (em) => {
      const owed = await reminders.claimOwed(em, now, batchSize);
      if (owed.length === 0) return { claimed: 0, recorded: [] };
      const items = owed.map((s) => {
        const n = occurrenceAt(s.dueAt, now, deps.repeatDays) ?? 0;
        return { ...s, n, nextNotifyAt: nextNotifyAfter(s.dueAt, n, deps.repeatDays) };
      });
      const recorded = await reminders.recordOccurrences(em, items);
      await reminders.markNotified(em, items);
      return { claimed: owed.length, recorded };
    });

  return {
    claimBatch,
    enqueue,

    /** One scan: claim and enqueue until nothing is owed. */
    scan: async (now: Date): Promise<{ claimed: number }> => {
      let claimed = 0;
      for (;;) {
        const batch = await claimBatch(now);
        if (batch.recorded.length > 0) await enqueue(batch.recorded);
        claimed += batch.recorded.length;
        // Stop when nothing was claimed, not when nothing new was recorded: a batch of repeats
        // must not end the scan while other secrets are still owed.
        if (batch.claimed === 0) break;
      }
      if (claimed > 0) deps.logger.info({ claimed }, 'reminder scan enqueued emails');
      return { claimed };
    },

    /** Re-enqueues occurrences recorded but never handed to the queue (a crash, Redis down). */
    sweep: async (now: Date): Promise<number> => {
      const rows = await reminders.pendingBefore(new Date(now.getTime() - sweepAfterMs), 5000);
      if (rows.length > 0) await enqueue(rows);
      return rows.length;
    },
  };
};

export type ReminderScan = ReturnType<typeof reminderScanFactory>;
