import { returnedRows, type AuditService, type Logger } from '@nembl/core';
import { UnrecoverableError, type Job } from 'bullmq';
import type { DataSource } from 'typeorm';
import { renderReminderEmail } from './reminder-email.js';
import { isPermanentSmtpError, type Mailer } from './reminder-mailer.js';

interface DeliveryRow {
  id: string;
  company_id: string;
  secret_id: string;
  due_at: Date;
  n: number;
  status: string;
  name: string;
  description: string;
  tags: Record<string, string>;
  secret_status: string;
  current_due: Date | null;
  company_name: string;
}

/**
 * Sends one occurrence's email. Owners get it; when the secret has no owner left (removed from
 * the company, or created by a token), the company's admins do. A delivery is marked sent in
 * the transaction right after the SMTP server accepts the mail — the one window in which a
 * crash can still repeat an email is between those two steps.
 */
export const reminderEmailProcessorFactory = (deps: {
  dataSource: DataSource;
  mailer: Mailer;
  audit: Pick<AuditService, 'record'>;
  publicUrl: string;
  logger: Logger;
  now: () => Date;
}) => {
  const { dataSource } = deps;

  const recipients = async (companyId: string, secretId: string): Promise<string[]> => {
    const owners: Array<{ email: string }> = await dataSource.query(
      `SELECT u.email FROM secret_owners o JOIN users u ON u.id = o.user_id WHERE o.secret_id = $1 AND u.company_id = $2 ORDER BY u.email`,
      [secretId, companyId],
    );
    if (owners.length > 0) return owners.map((o) => o.email);
    const admins: Array<{ email: string }> = await dataSource.query(
      `SELECT email FROM users WHERE company_id = $1 AND 'Admin' = ANY(roles) ORDER BY email`,
      [companyId],
    );
    return admins.map((a) => a.email);
  };

  const finish = (d: DeliveryRow, status: 'sent' | 'failed' | 'cancelled', fields: { recipients?: string[]; error?: string | null }) =>
    dataSource.transaction(async (em) => {
      const t = deps.now();
      const updated = await em.query(
        `UPDATE reminder_deliveries SET status = $2, recipients = $3, error = $4, sent_at = $5 WHERE id = $1 AND status = 'pending' RETURNING id`,
        [d.id, status, fields.recipients ?? [], fields.error ?? null, status === 'sent' ? t : null],
      );
      if (status === 'cancelled' || returnedRows(updated).length === 0) return;
      if (status === 'sent') {
        await em.query(`UPDATE secrets SET reminder_last_sent_at = $2, reminder_last_error = $3 WHERE id = $1`, [d.secret_id, t, fields.error ?? null]);
      } else {
        await em.query(`UPDATE secrets SET reminder_last_error = $2 WHERE id = $1`, [d.secret_id, fields.error ?? 'delivery failed']);
      }
      await deps.audit.record(
        {
          companyId: d.company_id,
          actor: { type: 'system', id: null, label: 'reminders' },
          action: status === 'sent' ? 'secrets:reminder_sent' : 'secrets:reminder_failed',
          resource: { kind: 'secret', name: d.name },
          decision: 'allow',
          reason: `due=${d.due_at.toISOString()} n=${d.n}${fields.recipients?.length ? ` to=${fields.recipients.join(',')}` : ''}`,
          context: { requestId: `reminder-${d.id}`, ip: null, userAgent: null },
          at: t,
        },
        em,
      );
    });

  return async (job: Job<{ deliveryId: string }>): Promise<string> => {
    const rows: DeliveryRow[] = await dataSource.query(
      `SELECT d.*, s.name, s.description, s.tags, s.status AS secret_status, s.reminder_next_due_at AS current_due, c.name AS company_name
         FROM reminder_deliveries d JOIN secrets s ON s.id = d.secret_id JOIN companies c ON c.id = d.company_id
        WHERE d.id = $1`,
      [job.data.deliveryId],
    );
    const d = rows[0];
    if (!d || d.status !== 'pending') return 'skipped';
    // Rotated (or the interval changed) since the occurrence was claimed: nothing is owed.
    if (d.secret_status !== 'active' || !d.current_due || d.current_due.getTime() !== d.due_at.getTime()) {
      await finish(d, 'cancelled', {});
      return 'cancelled';
    }
    const to = await recipients(d.company_id, d.secret_id);
    if (to.length === 0) {
      await finish(d, 'failed', { error: 'no owner or admin to send to' });
      return 'failed';
    }
    const mail = renderReminderEmail({
      name: d.name,
      description: d.description,
      tags: d.tags,
      dueAt: d.due_at,
      now: deps.now(),
      publicUrl: deps.publicUrl,
      companyName: d.company_name,
    });
    try {
      const sent = await deps.mailer.send({ to, subject: mail.subject, text: mail.text, html: mail.html });
      const refused = sent.rejected.length > 0 ? `refused by the mail server: ${sent.rejected.join(', ')}` : null;
      await finish(d, 'sent', { recipients: sent.accepted, error: refused });
      return 'sent';
    } catch (err) {
      const e = err as { message?: string; responseCode?: number; code?: string };
      const reason = `${e.responseCode ?? e.code ?? 'error'}: ${(e.message ?? '').slice(0, 300)}`;
      const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (isPermanentSmtpError(err) || last) {
        // A permanently failing address is recorded on the secret and shown, not retried forever.
        await finish(d, 'failed', { recipients: to, error: reason });
        throw new UnrecoverableError(reason);
      }
      deps.logger.info({ deliveryId: d.id, reason }, 'reminder email will be retried');
      throw new Error(reason, { cause: err });
    }
  };
};
