import { auditEventPayloadSchema, type AuditEventPayload, type JobPayloads, type QueueName } from '@nembl/core';
import { UnrecoverableError, type Job } from 'bullmq';
import type { AuditChainWriter } from './audit-chain-writer.js';
import type { AuditOutboxDrainer } from './audit-outbox-drainer.js';
import { microBatcher } from './micro-batcher.js';

export const AUDIT_BATCH_MAX_EVENTS = 200;
export const AUDIT_BATCH_MAX_WAIT_MS = 25;

/**
 * Processes the audit queue. Event jobs are gathered into micro-batches (up to
 * `maxEvents` or `maxWaitMs`), written with one transaction per company, and each job completes
 * only once its event is committed: a batch that fails is rolled back and its jobs are retried,
 * and a job whose write committed but whose completion was lost (a killed worker) is retried
 * harmlessly, as its idempotency key is already stored. Drain jobs come from the schedule.
 */
export const auditProcessorFactory = (deps: {
  writer: Pick<AuditChainWriter, 'writeEvents'>;
  drainer: Pick<AuditOutboxDrainer, 'run'>;
  maxEvents?: number;
  maxWaitMs?: number;
}) => {
  const batcher = microBatcher<AuditEventPayload>({
    maxItems: deps.maxEvents ?? AUDIT_BATCH_MAX_EVENTS,
    maxWaitMs: deps.maxWaitMs ?? AUDIT_BATCH_MAX_WAIT_MS,
    flush: (events) => deps.writer.writeEvents(events),
  });

  const process = async (job: Job<JobPayloads[typeof QueueName.Audit]>): Promise<string> => {
    const data = job.data;
    if (data.kind === 'drain') return `drained ${await deps.drainer.run()}`;
    const parsed = auditEventPayloadSchema.safeParse(data.kind === 'event' ? data.event : undefined);
    if (!parsed.success) throw new UnrecoverableError('not an audit event payload');
    await batcher.add(parsed.data);
    return 'written';
  };

  return Object.assign(process, { batcher });
};
