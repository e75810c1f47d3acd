import type { AuditService, Logger } from '@nembl/core';
import { UnrecoverableError, type Job } from 'bullmq';
import type { DataSource } from 'typeorm';
import { renderReminderEmail } from './reminder-email.js';
import { isPermanentSmtpError, type Mailer } from './reminder-mailer.js';
import type { DeliveryToSend, ReminderRepository } from './reminder-repository.js';

/**
 * Sends one occurrence's email. Owners get it; when the secret has no owner left (removed from
 * the company, or created by a token), the company's admins do. A delivery is marked sent in
 * the transaction right after the SMTP server accepts the mail — the one window in which a
 * crash can still repeat an email is between those two steps.
 */
export const reminderEmailProcessorFactory = (deps: {
  dataSource: DataSource;
  reminders: ReminderRepository;
  mailer: Mailer;
  audit: Pick<AuditService, 'record'>;
  publicUrl: string;
  logger: Logger;
  now: () => Date;
  /** After a commit that changed what the secret shows (`reminder.lastSentAt`, `lastError`). */
  onSecretChanged: (companyId: string) => void;
}) => {
  const { dataSource, reminders } = deps;

  const recipients = async (companyId: string, secretId: string): Promise<string[]> => {
    const owners = await reminders.ownerEmails(companyId, secretId);
    return owners.length > 0 ? owners : reminders.adminEmails(companyId);
  };

  const finish = async (
    d: DeliveryToSend,
    status: 'sent' | 'failed' | 'cancelled',
    fields: { recipients?: string[]; error?: string | null },
  ): Promise<void> => {
    const changed = await dataSource.transaction(async (em) => {
      const t = deps.now();
      const ended = await reminders.finishDelivery(em, d.id, {
        status,
        recipients: fields.recipients ?? [],
        error: fields.error ?? null,
        sentAt: status === 'sent' ? t : null,
      });
      if (status === 'cancelled' || !ended) return false;
      if (status === 'sent') await reminders.recordSent(em, d.secretId, t, fields.error ?? null);
      else await reminders.recordFailed(em, d.secretId, fields.error ?? 'delivery failed');
      await deps.audit.record(
        {
          companyId: d.companyId,
          actor: { type: 'system', id: null, label: 'reminders' },
          action: status === 'sent' ? 'secrets:reminder_sent' : 'secrets:reminder_failed',
          resource: { kind: 'secret', name: d.secret.name },
          decision: 'allow',
          reason: `due=${d.dueAt.toISOString()} n=${d.n}${fields.recipients?.length ? ` to=${fields.recipients.join(',')}` : ''}`,
          context: { requestId: `reminder-${d.id}`, ip: null, userAgent: null },
          at: t,
        },
        em,
      );
      return true;
    });
    if (changed) deps.onSecretChanged(d.companyId);
  };

  return async (job: Job<{ deliveryId: string }>): Promise<string> => {
    const d = await reminders.findDeliveryToSend(job.data.deliveryId);
    if (!d || d.status !== 'pending') return 'skipped';
    // Rotated (or the interval changed) since the occurrence was claimed: nothing is owed.
    const currentDue = d.secret.reminderNextDueAt;
    if (d.secret.status !== 'active' || !currentDue || currentDue.getTime() !== d.dueAt.getTime()) {
      await finish(d, 'cancelled', {});
      return 'cancelled';
    }
    const to = await recipients(d.companyId, d.secretId);
    if (to.length === 0) {
      await finish(d, 'failed', { error: 'no owner or admin to send to' });
      return 'failed';
    }
    const mail = renderReminderEmail({
      name: d.secret.name,
      description: d.secret.description,
      tags: d.secret.tags,
      dueAt: d.dueAt,
      now: deps.now(),
      publicUrl: deps.publicUrl,
      companyName: d.companyName,
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
