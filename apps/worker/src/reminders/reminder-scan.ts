import { nextNotifyAfter, occurrenceAt, reminderJobId, type Logger, type QueueName, type TypedQueue } from '@nembl/core';
import type { DataSource } from 'typeorm';

export const REMINDER_EMAIL_JOB_OPTIONS = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 2000, jitter: 0.5 },
  // Kept a week so a re-add of the same occurrence id (a retried scan or sweep) is ignored.
  removeOnComplete: { age: 7 * 24 * 3600 },
  removeOnFail: { age: 30 * 24 * 3600 },
} as const;

export interface Claimed {
  id: string;
  secret_id: string;
  due_at: Date;
  n: number;
}

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

  const enqueue = async (rows: Claimed[]) => {
    for (let i = 0; i < rows.length; i += 500) {
      await deps.emailQueue.addBulk(
        rows.slice(i, i + 500).map((r) => ({
          name: 'reminder-email',
          data: { deliveryId: r.id },
          opts: { ...jobOptions, jobId: reminderJobId(r.secret_id, r.due_at, r.n) },
        })),
      );
    }
  };

  /**
   * Claims and records one batch. `claimed` counts the secrets taken; `recorded` the occurrences
   * that were new (an occurrence already recorded, e.g. after the same interval was set again,
   * is not enqueued twice).
   */
  const claimBatch = (now: Date): Promise<{ claimed: number; recorded: Claimed[] }> =>
    deps.dataSource.transaction(async (em) => {
      const due: Array<{ id: string; company_id: string; due: Date }> = await em.query(
        `SELECT id, company_id, reminder_next_due_at AS due FROM secrets
          WHERE reminder_next_notify_at IS NOT NULL AND status = 'active' AND reminder_next_notify_at <= $1
          ORDER BY reminder_next_notify_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [now, batchSize],
      );
      if (due.length === 0) return { claimed: 0, recorded: [] };
      const items = due.map((s) => {
        const n = occurrenceAt(s.due, now, deps.repeatDays) ?? 0;
        return { ...s, n, next: nextNotifyAfter(s.due, n, deps.repeatDays) };
      });
      const inserted: Claimed[] = await em.query(
        `INSERT INTO reminder_deliveries (company_id, secret_id, due_at, n)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::int[])
         ON CONFLICT (secret_id, due_at, n) DO NOTHING
         RETURNING id, secret_id, due_at, n`,
        [items.map((i) => i.company_id), items.map((i) => i.id), items.map((i) => i.due), items.map((i) => i.n)],
      );
      await em.query(
        `UPDATE secrets s SET reminder_notified_due_at = u.due, reminder_notified_n = u.n, reminder_next_notify_at = u.next
           FROM unnest($1::uuid[], $2::timestamptz[], $3::int[], $4::timestamptz[]) AS u(id, due, n, next)
          WHERE s.id = u.id`,
        [items.map((i) => i.id), items.map((i) => i.due), items.map((i) => i.n), items.map((i) => i.next)],
      );
      return { claimed: due.length, recorded: inserted };
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
      const rows: Claimed[] = await deps.dataSource.query(
        `SELECT id, secret_id, due_at, n FROM reminder_deliveries WHERE status = 'pending' AND created_at < $1 ORDER BY created_at LIMIT 5000`,
        [new Date(now.getTime() - sweepAfterMs)],
      );
      if (rows.length > 0) await enqueue(rows);
      return rows.length;
    },
  };
};

export type ReminderScan = ReturnType<typeof reminderScanFactory>;
