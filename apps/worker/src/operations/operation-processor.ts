import {
  isStoreError,
  type AuditEventInput,
  type JobPayloads,
  type Logger,
  type OperationOutcomeStatus,
  type OperationRow,
  type OperationSealer,
  type QueueName,
  type SecretStore,
} from '@nembl/core';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { OperationRepository } from './operation-repository.js';

export type OperationJob = Job<JobPayloads[typeof QueueName.SecretOperations]>;

export interface OperationProcessorDeps {
  operations: Pick<OperationRepository, 'claim' | 'extendLease' | 'finish'>;
  store: SecretStore;
  sealer: OperationSealer;
  logger: Logger;
  now: () => Date;
  /** How long to wait before looking again when an earlier operation is still open. */
  orderingDelayMs?: number;
  /** How long a claimed operation stays claimed without a heartbeat (extended every third of it). */
  leaseMs: number;
  /**
   * After an operation's finish has committed, with its outcome (`OperationOutcome` JSON): to
   * announce it to the waiting request and to drain the audit events just written.
   */
  onFinished: (outcomeJson: string) => void;
}

const errorOf = (err: unknown): { code: string; message: string; retryable: boolean } => {
  if (isStoreError(err)) return { code: err.code, message: err.message, retryable: err.retryable };
  // Anything else (database hiccup, bug) is retried. Its message goes to the operation row, the
  // outcome announcement and the job, so it is a fixed text naming only the error's class: a
  // driver's message can quote its input, and a value is in scope here.
  return { code: 'Internal', message: `internal error (${err instanceof Error ? err.name : typeof err})`, retryable: true };
};

/**
 * Applies one secret operation: claimed in per-secret order (one statement), written to the store
 * with the operation id as client token (so a re-run never makes a second version), then finished
 * in one statement that records the result, wipes the sealed value and audits; then announced.
 */
export const operationProcessorFactory = (deps: OperationProcessorDeps) => {
  const { operations, store, sealer, logger, now } = deps;
  const orderingDelay = deps.orderingDelayMs ?? 250;
  const { leaseMs } = deps;

  /** Extends the lease while `work` runs, so only a worker that is gone lets it expire. */
  const leased = async <T>(id: string, work: () => Promise<T>): Promise<T> => {
    const heartbeat = setInterval(
      () => {
        operations
          .extendLease(id, leaseMs)
          .catch((err: Error) => logger.warn({ operationId: id, err: { message: err.message } }, 'lease not extended'));
      },
      Math.max(50, Math.floor(leaseMs / 3)),
    );
    try {
      return await work();
    } finally {
      clearInterval(heartbeat);
    }
  };

  const auditEvent = (
    op: OperationRow,
    outcome: OperationOutcomeStatus,
    reason: string,
    at: Date,
  ): AuditEventInput => ({
    companyId: op.companyId,
    actor: { type: 'system', id: null, label: 'worker' },
    action: `secrets:${op.kind}_${outcome}`,
    resource: { kind: 'secret', name: op.secretName },
    decision: 'allow',
    reason,
    operationId: op.id,
    context: { requestId: op.requestId ?? '', ip: null, userAgent: null },
    at,
  });

  const finished = (outcomeJson: string | null) => {
    if (outcomeJson !== null) deps.onFinished(outcomeJson);
  };

  const succeed = async (op: OperationRow, storeVersionId: string | null) => {
    const at = now();
    finished(
      await operations.finish({
        op,
        outcome: 'succeeded',
        at,
        storeVersionId,
        audit: auditEvent(op, 'succeeded', storeVersionId ? `store_version=${storeVersionId}` : 'deleted', at),
      }),
    );
  };

  const fail = async (op: OperationRow, code: string, message: string) => {
    const at = now();
    finished(
      await operations.finish({
        op,
        outcome: 'failed',
        at,
        error: { code, message },
        audit: auditEvent(op, 'failed', code, at),
      }),
    );
  };

  const apply = async (job: OperationJob, op: OperationRow): Promise<string> => {
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
      await succeed(op, versionId);
      return 'succeeded';
    } catch (err) {
      if (err instanceof UnrecoverableError) {
        await fail(op, 'Internal', err.message);
        throw err;
      }
      const e = errorOf(err);
      const attempts = job.opts.attempts ?? 1;
      const last = job.attemptsMade + 1 >= attempts;
      if (!e.retryable || last) {
        await fail(op, e.code, e.message);
        logger.warn({ operationId: op.id, code: e.code, attempt: job.attemptsMade + 1 }, 'operation failed');
        throw new UnrecoverableError(`${e.code}: ${e.message}`);
      }
      logger.info({ operationId: op.id, code: e.code, attempt: job.attemptsMade + 1 }, 'operation will be retried');
      throw new Error(`${e.code}: ${e.message}`, { cause: err });
    }
  };

  return async (job: OperationJob, token?: string): Promise<string> => {
    const claim = await operations.claim(job.data.operationId, leaseMs);
    if (claim.state === 'missing' || claim.state === 'finished') return claim.state;
    if (claim.state === 'behind') {
      // Per-secret ordering: try again shortly, without spending an attempt.
      await job.moveToDelayed(Date.now() + orderingDelay, token);
      throw new DelayedError(`waiting for operation ${claim.earlierId}`);
    }
    return leased(claim.op.id, () => apply(job, claim.op));
  };
};
