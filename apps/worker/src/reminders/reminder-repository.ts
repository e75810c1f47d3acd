import { ADMIN_ROLE, returnedRows, type SecretRow } from '@nembl/core';
import type { DataSource, EntityManager } from 'typeorm';

export type DeliveryStatus = 'pending' | 'sent' | 'failed' | 'cancelled';

/** A `reminder_deliveries` row: one occurrence of a reminder, unique per secret, due date and n. */
export interface ReminderDeliveryRow {
  id: string;
  companyId: string;
  secretId: string;
  dueAt: Date;
  n: number;
  status: DeliveryStatus;
  recipients: string[];
  error: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

/** What the queue needs of an occurrence: the job id is made of secret, due date and n. */
export type RecordedDelivery = Pick<ReminderDeliveryRow, 'id' | 'secretId' | 'dueAt' | 'n'>;

/** A secret whose next reminder is owed. */
export interface OwedReminder {
  secretId: string;
  companyId: string;
  /** The secret's current due date (`reminder_next_due_at`). */
  dueAt: Date;
}

/** A delivery with what its email shows and what decides whether it is still owed. */
export interface DeliveryToSend extends ReminderDeliveryRow {
  secret: Pick<SecretRow, 'name' | 'description' | 'tags' | 'status' | 'reminderNextDueAt'>;
  companyName: string;
}

interface DeliverySqlRow {
  id: string;
  company_id: string;
  secret_id: string;
  due_at: Date;
  n: number;
  status: DeliveryStatus;
  recipients: string[];
  error: string | null;
  created_at: Date;
  sent_at: Date | null;
}

const deliveryFromSql = (r: DeliverySqlRow): ReminderDeliveryRow => ({
  id: r.id,
  companyId: r.company_id,
  secretId: r.secret_id,
  dueAt: r.due_at,
  n: r.n,
  status: r.status,
  recipients: r.recipients,
  error: r.error,
  createdAt: r.created_at,
  sentAt: r.sent_at,
});

const recordedFromSql = (r: Pick<DeliverySqlRow, 'id' | 'secret_id' | 'due_at' | 'n'>): RecordedDelivery => ({
  id: r.id,
  secretId: r.secret_id,
  dueAt: r.due_at,
  n: r.n,
});

/** Rotation reminders: the scan's claims and the emails' deliveries (`reminder_deliveries`, reminder columns of `secrets`). */
export const reminderRepositoryFactory = ({ dataSource }: { dataSource: DataSource }) => ({
  /**
   * Active secrets whose next reminder is owed at `now`, oldest first, locked until commit
   * (`FOR UPDATE SKIP LOCKED` on the partial index): overlapping scans take disjoint rows.
   */
  claimOwed: async (em: EntityManager, now: Date, limit: number): Promise<OwedReminder[]> => {
    const rows: Array<{ id: string; company_id: string; due: Date }> = await em.query(
      `SELECT id, company_id, reminder_next_due_at AS due FROM secrets
        WHERE reminder_next_notify_at IS NOT NULL AND status = 'active' AND reminder_next_notify_at <= $1
        ORDER BY reminder_next_notify_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [now, limit],
    );
    return rows.map((r) => ({ secretId: r.id, companyId: r.company_id, dueAt: r.due }));
  },

  /** Records occurrences; one already recorded (same secret, due date and n) is skipped. Returns the new ones. */
  recordOccurrences: async (
    em: EntityManager,
    items: ReadonlyArray<{ companyId: string; secretId: string; dueAt: Date; n: number }>,
  ): Promise<RecordedDelivery[]> => {
    const rows: Array<Pick<DeliverySqlRow, 'id' | 'secret_id' | 'due_at' | 'n'>> = await em.query(
      `INSERT INTO reminder_deliveries (company_id, secret_id, due_at, n)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::int[])
       ON CONFLICT (secret_id, due_at, n) DO NOTHING
       RETURNING id, secret_id, due_at, n`,
      [items.map((i) => i.companyId), items.map((i) => i.secretId), items.map((i) => i.dueAt), items.map((i) => i.n)],
    );
    return rows.map(recordedFromSql);
  },

  /** Marks each secret's occurrence as notified and moves its next reminder time on. */
  markNotified: async (
    em: EntityManager,
    items: ReadonlyArray<{ secretId: string; dueAt: Date; n: number; nextNotifyAt: Date }>,
  ): Promise<void> => {
    await em.query(
      `UPDATE secrets s SET reminder_notified_due_at = u.due, reminder_notified_n = u.n, reminder_next_notify_at = u.next
         FROM unnest($1::uuid[], $2::timestamptz[], $3::int[], $4::timestamptz[]) AS u(id, due, n, next)
        WHERE s.id = u.id`,
      [
        items.map((i) => i.secretId),
        items.map((i) => i.dueAt),
        items.map((i) => i.n),
        items.map((i) => i.nextNotifyAt),
      ],
    );
  },

  /** Occurrences recorded before `before` and still pending (never handed to the queue, or lost). */
  pendingBefore: async (before: Date, limit: number): Promise<RecordedDelivery[]> => {
    const rows: Array<Pick<DeliverySqlRow, 'id' | 'secret_id' | 'due_at' | 'n'>> = await dataSource.query(
      `SELECT id, secret_id, due_at, n FROM reminder_deliveries WHERE status = 'pending' AND created_at < $1 ORDER BY created_at LIMIT $2`,
      [before, limit],
    );
    return rows.map(recordedFromSql);
  },

  findDeliveryToSend: async (id: string): Promise<DeliveryToSend | null> => {
    const rows: Array<
      DeliverySqlRow & {
        name: string;
        description: string;
        tags: Record<string, string>;
        secret_status: SecretRow['status'];
        current_due: Date | null;
        company_name: string;
      }
    > = await dataSource.query(
      `SELECT d.*, s.name, s.description, s.tags, s.status AS secret_status, s.reminder_next_due_at AS current_due, c.name AS company_name
         FROM reminder_deliveries d JOIN secrets s ON s.id = d.secret_id JOIN companies c ON c.id = d.company_id
        WHERE d.id = $1`,
      [id],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      ...deliveryFromSql(r),
      secret: {
        name: r.name,
        description: r.description,
        tags: r.tags,
        status: r.secret_status,
        reminderNextDueAt: r.current_due,
      },
      companyName: r.company_name,
    };
  },

  /** The secret's owners who are still users of the company, by email. */
  ownerEmails: async (companyId: string, secretId: string): Promise<string[]> => {
    const rows: Array<{ email: string }> = await dataSource.query(
      `SELECT u.email FROM secret_owners o JOIN users u ON u.id = o.user_id WHERE o.secret_id = $1 AND u.company_id = $2 ORDER BY u.email`,
      [secretId, companyId],
    );
    return rows.map((r) => r.email);
  },

  adminEmails: async (companyId: string): Promise<string[]> => {
    const rows: Array<{ email: string }> = await dataSource.query(
      `SELECT email FROM users WHERE company_id = $1 AND $2 = ANY(roles) ORDER BY email`,
      [companyId, ADMIN_ROLE],
    );
    return rows.map((r) => r.email);
  },

  /** Ends a pending delivery; false when it was no longer pending (another run ended it). */
  finishDelivery: async (
    em: EntityManager,
    id: string,
    outcome: {
      status: Exclude<DeliveryStatus, 'pending'>;
      recipients: string[];
      error: string | null;
      sentAt: Date | null;
    },
  ): Promise<boolean> => {
    const updated = await em.query(
      `UPDATE reminder_deliveries SET status = $2, recipients = $3, error = $4, sent_at = $5 WHERE id = $1 AND status = 'pending' RETURNING id`,
      [id, outcome.status, outcome.recipients, outcome.error, outcome.sentAt],
    );
    return returnedRows(updated).length > 0;
  },

  /** Shown on the secret: when its last reminder went out, and what the mail server refused, if anything. */
  recordSent: async (em: EntityManager, secretId: string, at: Date, error: string | null): Promise<void> => {
    await em.query(`UPDATE secrets SET reminder_last_sent_at = $2, reminder_last_error = $3 WHERE id = $1`, [
      secretId,
      at,
      error,
    ]);
  },

  recordFailed: async (em: EntityManager, secretId: string, error: string): Promise<void> => {
    await em.query(`UPDATE secrets SET reminder_last_error = $2 WHERE id = $1`, [secretId, error]);
  },
});

export type ReminderRepository = ReturnType<typeof reminderRepositoryFactory>;
