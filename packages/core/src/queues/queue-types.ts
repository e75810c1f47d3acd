import { Queue, Worker, type ConnectionOptions, type JobsOptions, type Processor, type WorkerOptions } from 'bullmq';
import type { AuditEventPayload } from '../audit/audit-types.js';
import { normalizeQueuePrefix } from './queue-keys.js';

/**
 * Every queue of the system. Renaming one strands the jobs already in Redis: do not change a
 * value without a migration plan.
 */
export const QueueName = {
  SecretOperations: 'secret-operations',
  Audit: 'audit-events',
  OutboxRelay: 'outbox-relay',
  ReminderScan: 'reminder-scan',
  ReminderEmail: 'reminder-email',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

/**
 * An audit event to write (metadata only: who, what, which resource, decision; never a value),
 * or the scheduled request to drain `audit_outbox`.
 */
export type AuditJob = { kind: 'event'; event: AuditEventPayload } | { kind: 'drain' };

/** Job payloads carry ids (and value-free audit metadata), never values. */
export interface JobPayloads {
  [QueueName.SecretOperations]: { operationId: string };
  [QueueName.Audit]: AuditJob;
  [QueueName.OutboxRelay]: Record<string, never>;
  [QueueName.ReminderScan]: Record<string, never>;
  [QueueName.ReminderEmail]: { deliveryId: string };
}

/** Secret operations retry with jittered exponential backoff (0.5 s … ~17 min over 12 attempts). */
export const OPERATION_JOB_OPTIONS = {
  attempts: 12,
  backoff: { type: 'exponential', delay: 500, jitter: 0.5 },
  removeOnComplete: { age: 3600 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const;

export interface QueueDeps {
  connection: ConnectionOptions;
  /** Key prefix; used as a Redis Cluster hash tag (see `normalizeQueuePrefix`). */
  prefix: string;
}

export type TypedQueue<N extends QueueName> = Queue<JobPayloads[N]>;

export const createQueue = <N extends QueueName>(name: N, deps: QueueDeps): TypedQueue<N> =>
  new Queue<JobPayloads[N]>(name, { connection: deps.connection, prefix: normalizeQueuePrefix(deps.prefix) });

/** BullMQ job ids may not contain ':'; ours are uuids and epoch numbers joined by '-'. */
export const jobId = (...parts: Array<string | number>): string => {
  const id = parts.join('-');
  if (id.includes(':')) throw new Error(`job id may not contain ':' (${id})`);
  return id;
};

export const enqueue = <N extends QueueName>(
  queue: TypedQueue<N>,
  data: JobPayloads[N],
  opts: JobsOptions & { jobId: string },
) =>
  // BullMQ's name type is a conditional type it cannot resolve for a generic N; the payload
  // is already checked against JobPayloads above, so widening here loses nothing.
  (queue as unknown as Queue<object>).add(queue.name, data, opts);

/**
 * Several jobs in one round trip; each named after its queue, like `enqueue`. One job (a quiet
 * API's usual batch) goes as a plain `add`: `addBulk` builds an ioredis pipeline even for one,
 * and a pipeline defines every BullMQ script on itself (~0.1 ms of CPU per call here).
 */
export const enqueueBulk = async <N extends QueueName>(
  queue: TypedQueue<N>,
  jobs: ReadonlyArray<{ data: JobPayloads[N]; opts: JobsOptions & { jobId: string } }>,
) => {
  const q = queue as unknown as Queue<object>;
  const [only] = jobs;
  if (jobs.length === 1 && only) return [await q.add(queue.name, only.data, only.opts)];
  return q.addBulk(jobs.map((j) => ({ name: queue.name, data: j.data, opts: j.opts })));
};

export const startWorker = <N extends QueueName, R = unknown>(
  name: N,
  processor: Processor<JobPayloads[N], R>,
  deps: QueueDeps,
  opts: Omit<WorkerOptions, 'connection' | 'prefix'> = {},
): Worker<JobPayloads[N], R> =>
  new Worker<JobPayloads[N], R>(name, processor, {
    ...opts,
    connection: deps.connection,
    prefix: normalizeQueuePrefix(deps.prefix),
  });
