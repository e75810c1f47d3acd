import {
  dueAtSql,
  isStoreError,
  returnedRows,
  type AuditService,
  type Logger,
  type OperationRow,
  type OperationSealer,
  type SecretRow,
  type SecretStore,
} from '@nembl/core';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { EntityManager } from 'typeorm';
import type { OperationRepository } from './operation-repository.js';

export interface OperationProcessorDeps {
  operations: OperationRepository;
  store: SecretStore;
  sealer: OperationSealer;
  audit: Pick<AuditService, 'record'>;
  logger: Logger;
  now: () => Date;
  /** How long to wait before looking again when an earlier operation is still open. */
  orderingDelayMs?: number;
  /** How long a claimed operation stays claimed without a heartbeat (extended every third of it). */
  leaseMs: number;
}

const errorOf = (err: unknown): { code: string; message: string; retryable: boolean } => {
  if (isStoreError(err)) return { code: err.code, message: err.message, retryable: err.retryable };
  // Anything else (database hiccup, bug) is retried; its message is ours, never a value.
  return { code: 'Internal', message: (err as Error)?.message ?? 'unexpected error', retryable: true };
};

/**
 * Applies one secret operation: in per-secret order, with the operation id as the store's
 * client token (so a re-run never makes a second version), then records the result, wipes the
 * sealed value and audits, in one transaction.
 */
export const operationProcessorFactory = (deps: OperationProcessorDeps) => {
  const { operations, store, sealer, audit, logger, now } = deps;
  const orderingDelay = deps.orderingDelayMs ?? 250;
  const { leaseMs } = deps;

  /** Extends the lease while `work` runs, so only a worker that is gone lets it expire. */
  const leased = async <T>(id: string, work: () => Promise<T>): Promise<T> => {
    await operations.markRunning(id, leaseMs);
    const heartbeat = setInterval(() => {
      operations.extendLease(id, leaseMs).catch((err: Error) => logger.warn({ operationId: id, err: { message: err.message } }, 'lease not extended'));
    }, Math.max(50, Math.floor(leaseMs / 3)));
    try {
      return await work();
    } finally {
      clearInterval(heartbeat);
    }
  };

  const audited = (em: EntityManager, op: OperationRow, outcome: 'succeeded' | 'failed', reason: string) =>
    audit.record(
      {
        companyId: op.companyId,
        actor: { type: 'system', id: null, label: 'worker' },
        action: `secrets:${op.kind}_${outcome}`,
        resource: { kind: 'secret', name: op.secretName },
        decision: 'allow',
        reason,
        operationId: op.id,
        context: { requestId: op.requestId ?? '', ip: null, userAgent: null },
        at: now(),
      },
      em,
    );

  const succeed = (op: OperationRow, secret: SecretRow, versionId: string | null) =>
    operations.finish(op.id, async (em) => {
      const t = now();
      if (op.kind === 'delete') {
        await em.query(`UPDATE secrets SET status = 'deleted', deleted_at = $2, updated_at = $2 WHERE id = $1`, [secret.id, t]);
        await em.query(`DELETE FROM secret_owners WHERE secret_id = $1`, [secret.id]);
      } else {
        const rows = returnedRows<{ version: number }>(await em.query(
          `UPDATE secrets SET version = version + 1, status = 'active', last_rotated_at = $2, updated_at = $2,
                  reminder_next_due_at = ${dueAtSql('$2::timestamptz', 'reminder_interval_days')},
                  reminder_next_notify_at = ${dueAtSql('$2::timestamptz', 'reminder_interval_days')},
                  reminder_notified_due_at = NULL, reminder_notified_n = NULL, reminder_last_error = NULL
            WHERE id = $1 RETURNING version`,
          [secret.id, t],
        ));
        await em.query(
          `INSERT INTO secret_versions (secret_id, version, store_version_id, operation_id, created_at, created_by_type, created_by_id, created_by_label)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [secret.id, rows[0]!.version, versionId, op.id, t, op.actor.type, op.actor.id, op.actor.label],
        );
      }
      await em.query(
        `UPDATE operations SET status = 'succeeded', finished_at = $2, lease_until = NULL, sealed_payload = NULL, error_code = NULL, error_message = NULL WHERE id = $1`,
        [op.id, t],
      );
      await audited(em, op, 'succeeded', versionId ? `store_version=${versionId}` : 'deleted');
    });

  const fail = (op: OperationRow, secret: SecretRow, code: string, message: string) =>
    operations.finish(op.id, async (em) => {
      const t = now();
      if (op.kind === 'create') {
        await em.query(`UPDATE secrets SET status = 'failed', updated_at = $2 WHERE id = $1 AND status = 'pending'`, [secret.id, t]);
      } else if (op.kind === 'delete') {
        // The store still has the secret: it stays usable rather than stuck in `deleting`.
        await em.query(`UPDATE secrets SET status = 'active', updated_at = $2 WHERE id = $1 AND status = 'deleting'`, [secret.id, t]);
      }
      await em.query(
        `UPDATE operations SET status = 'failed', finished_at = $2, lease_until = NULL, sealed_payload = NULL, error_code = $3, error_message = $4 WHERE id = $1`,
        [op.id, t, code, message.slice(0, 500)],
      );
      await audited(em, op, 'failed', code);
    });

  const apply = async (job: Job<{ operationId: string }>, op: OperationRow, secret: SecretRow): Promise<string> => {
    const ref = { companyId: op.companyId, name: op.secretName };
    try {
      let versionId: string | null = null;
      if (op.kind === 'delete') {
        await store.delete(ref);
      } else {
        if (!op.sealedPayload) throw new UnrecoverableError('operation payload is missing');
        const value = sealer.unseal(op.id, op.companyId, op.sealedPayload);
        const written =
          op.kind === 'create'
            ? await store.create({ ...ref, value, clientToken: op.id })
            : await store.putValue({ ...ref, value, clientToken: op.id });
        versionId = written.versionId;
      }
      await succeed(op, secret, versionId);
      return 'succeeded';
    } catch (err) {
      if (err instanceof UnrecoverableError) {
        await fail(op, secret, 'Internal', err.message);
        throw err;
      }
      const e = errorOf(err);
      const attempts = job.opts.attempts ?? 1;
      const last = job.attemptsMade + 1 >= attempts;
      if (!e.retryable || last) {
        await fail(op, secret, e.code, e.message);
        logger.warn({ operationId: op.id, code: e.code, attempt: job.attemptsMade + 1 }, 'operation failed');
        throw new UnrecoverableError(`${e.code}: ${e.message}`);
      }
      logger.info({ operationId: op.id, code: e.code, attempt: job.attemptsMade + 1 }, 'operation will be retried');
      throw new Error(`${e.code}: ${e.message}`, { cause: err });
    }
  };

  return async (job: Job<{ operationId: string }>, token?: string): Promise<string> => {
    const loaded = await operations.load(job.data.operationId);
    if (!loaded) return 'missing';
    const { op, secret } = loaded;
    if (op.status === 'succeeded' || op.status === 'failed') return op.status;

    const earlier = await operations.earlierOpen(op.secretId, op.seq);
    if (earlier) {
      // Per-secret ordering: try again shortly, without spending an attempt.
      await job.moveToDelayed(Date.now() + orderingDelay, token);
      throw new DelayedError(`waiting for operation ${earlier}`);
    }

    return leased(op.id, () => apply(job, op, secret));
  };
};
