import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import { batchWhileBusy } from '../db/batch-while-busy.js';
import { preparedQuery } from '../db/prepared-query.js';
import { enqueue, jobId, type QueueName, type TypedQueue } from '../queues/queue-types.js';
import { auditOutboxRepository, type AuditPrecondition } from './audit-outbox-repository.js';
import type { AuditEventInput, AuditEventPayload } from './audit-types.js';

/**
 * Audit jobs retry for days (0.5 s doubling, ~6 days over 20 attempts): an event already
 * accepted by Redis must survive a long Postgres outage. Writing is idempotent, so a retry of
 * a write that did commit changes nothing.
 */
export const AUDIT_JOB_OPTIONS = {
  attempts: 20,
  backoff: { type: 'exponential', delay: 500, jitter: 0.5 },
  removeOnComplete: true,
  removeOnFail: { age: 30 * 24 * 3600 },
} as const;

export const DEFAULT_AUDIT_ENQUEUE_TIMEOUT_MS = 500;
export const DEFAULT_AUDIT_COLLAPSE_WINDOW_MS = 10_000;
/**
 * At most one durable write per this many ms carries the drainers' wake-up (NOTIFY). Below the
 * drainer's own debounce of a nudge (100 ms), so it wakes as soon as it would have anyway.
 */
export const DURABLE_WAKE_EVERY_MS = 50;
/** Requests whose durable events share one statement and one commit, at most. */
const DURABLE_BATCH_MAX_REQUESTS = 50;
/** Open collapse windows kept per process; past this, denials are simply recorded one by one. */
const MAX_OPEN_WINDOWS = 10_000;

export interface AuditServiceDeps {
  dataSource: DataSource;
  /**
   * Where events recorded outside a transaction go. Without a queue (the worker) every event
   * goes to `audit_outbox`.
   */
  queue?: TypedQueue<typeof QueueName.Audit>;
  logger?: Pick<Logger, 'warn' | 'error'>;
  /** How long Redis may take to accept an event before it goes to the outbox instead. */
  enqueueTimeoutMs?: number;
  /** Repeats of the same denial within this window are collapsed into one counted event. */
  collapseWindowMs?: number;
  /** The clock of the wake-up coalescing of durable writes (tests). */
  nowMs?: () => number;
  /**
   * Durable writes (`recordDurable`) this process keeps in flight at once, 2 by default; the calls
   * that arrive meanwhile share the next statement. Several API processes on one host each keep
   * fewer, so the host's commits stay as few and as large as one process's.
   */
  durableInFlight?: number;
}

export const toAuditPayload = (
  e: AuditEventInput,
  count = 1,
  idempotencyKey: string = randomUUID(),
): AuditEventPayload => ({
  idempotencyKey,
  companyId: e.companyId,
  at: e.at.toISOString(),
  actor: { type: e.actor.type, id: e.actor.id, label: e.actor.label },
  action: e.action,
  resource: { kind: e.resource.kind, name: e.resource.name ?? null },
  decision: e.decision,
  reason: e.reason,
  count,
  operationId: e.operationId ?? null,
  requestId: e.context.requestId,
  ip: e.context.ip,
  userAgent: e.context.userAgent,
});

/**
 * Allowed events that are collapsed like denials: metadata reads, which a console or a polling
 * runner repeats many times a minute. Value reads never are (they are recorded durably, each).
 */
const COLLAPSED_ALLOWED_ACTIONS = new Set(['secrets:read']);

/** Postgres refused the statement for what it carried (data exception, integrity violation). */
const refusedForItsData = (err: unknown): boolean => {
  const e = err as { code?: unknown; driverError?: { code?: unknown } } | undefined;
  const code = e?.driverError?.code ?? e?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
};

/** Same company, actor, action, resource, decision and reason: the same event. */
const denialKey = (e: AuditEventInput): string =>
  JSON.stringify([
    e.companyId,
    e.actor.type,
    e.actor.id,
    e.actor.label,
    e.action,
    e.resource.kind,
    e.resource.name ?? null,
    e.decision,
    e.reason,
  ]);

interface DenialWindow {
  repeats: number;
  last: AuditEventInput;
  timer: NodeJS.Timeout;
}

/**
 * Records audit events; they never carry a value. The audit worker turns them into the
 * per-company hash chain in `audit_events`. Three ways in:
 *
 * - inside a transaction (`record(e, em)`): a row in `audit_outbox`, committed or rolled back
 *   with the change it describes (transactional outbox). The insert also NOTIFYs, which Postgres
 *   delivers only on commit: that is the nudge that makes the worker drain at once.
 * - outside one (`record(e)`): a BullMQ job whose id is the event's idempotency key; if Redis
 *   does not take it within `enqueueTimeoutMs`, a row in `audit_outbox` instead. A request
 *   never waits on a dead Redis for longer than that.
 * - `recordDurable(e)`: for value reads, audited fail-closed. Returns once the event is
 *   committed to Postgres and throws if it cannot be, so the caller can refuse the value.
 */
export const auditServiceFactory = (deps: AuditServiceDeps) => {
  const { dataSource, queue, logger } = deps;
  const enqueueTimeoutMs = deps.enqueueTimeoutMs ?? DEFAULT_AUDIT_ENQUEUE_TIMEOUT_MS;
  const windowMs = deps.collapseWindowMs ?? DEFAULT_AUDIT_COLLAPSE_WINDOW_MS;

  const enqueueOrOutbox = async (p: AuditEventPayload): Promise<void> => {
    if (!queue) return auditOutboxRepository.insert(dataSource.manager, p);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        enqueue(queue, { kind: 'event', event: p }, { jobId: jobId(p.idempotencyKey), ...AUDIT_JOB_OPTIONS }),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('audit enqueue timed out')), enqueueTimeoutMs);
        }),
      ]);
    } catch (err) {
      // A late success of the enqueue is harmless: job and outbox row share the idempotency key.
      logger?.warn(
        { err: { message: (err as Error).message } },
        'audit event written to the outbox: Redis did not take it',
      );
      await auditOutboxRepository.insert(dataSource.manager, p);
    } finally {
      clearTimeout(timer);
    }
  };

  /*
   * Collapsing repeated denials (and metadata reads, COLLAPSED_ALLOWED_ACTIONS). A client hammering an endpoint it may not use (a brute force,
   * a misconfigured runner) would otherwise write one event per request. The first denial is
   * recorded at once (count 1), so an attack is visible in the log immediately and that event
   * does not depend on this process staying up; repeats within the window are only counted here,
   * and when the window closes one summary event carries their number (count = n), with the last
   * repeat's time, request id, ip and user agent. Stored events are never updated afterwards:
   * they are hash-chained. The price is that the pending count of a crashed process is lost (its
   * first event is not); a graceful shutdown flushes it (`close`).
   */
  const windows = new Map<string, DenialWindow>();

  const closeWindow = async (key: string): Promise<void> => {
    const w = windows.get(key);
    if (!w) return;
    windows.delete(key);
    clearTimeout(w.timer);
    if (w.repeats === 0) return;
    try {
      await enqueueOrOutbox(toAuditPayload(w.last, w.repeats));
    } catch (err) {
      logger?.error(
        { err: { message: (err as Error).message }, action: w.last.action, count: w.repeats },
        'could not record a collapsed denial summary',
      );
    }
  };

  /** True when the denial joins an open window (and is only counted). */
  const collapsed = (e: AuditEventInput): boolean => {
    const key = denialKey(e);
    const w = windows.get(key);
    if (w) {
      w.repeats += 1;
      w.last = e;
      return true;
    }
    if (windows.size >= MAX_OPEN_WINDOWS) return false;
    const timer = setTimeout(() => void closeWindow(key), windowMs);
    timer.unref();
    windows.set(key, { repeats: 0, last: e, timer });
    return false;
  };

  /** Writes every pending denial summary now. */
  const flush = async (): Promise<void> => {
    await Promise.all([...windows.keys()].map(closeWindow));
  };

  /*
   * Durable writes (value reads) are group-committed: calls made while earlier ones are being
   * committed share one multi-row INSERT and one commit (batchWhileBusy; a quiet system commits
   * each call alone, at once). Each call still returns only once a commit holding its own events
   * succeeded; a shared write that fails fails every call in it (each refuses its values), with
   * one exception: when Postgres refused the statement for its data (SQLSTATE classes 22 and 23,
   * e.g. a company deleted meanwhile), which one call's event can cause, each call is tried again
   * alone, so one tenant's bad event never refuses another's values. A connection lost or a
   * commit refused is not retried: the calls answer 503 at once, not one timeout after another.
   *
   * Only one of these writes per DURABLE_WAKE_EVERY_MS carries the NOTIFY that wakes the
   * drainers: Postgres serializes the commits of notifying transactions (a global lock held
   * through commit), which halves the commit rate of a busy resolution path. Rows committed
   * without one are drained by the pass the last notification triggers (the drainer debounces a
   * nudge longer than this interval), or by the drainer's schedule (1 s) when they committed after
   * that pass or the notification was lost: latency, never a lost event. A failed notifying write
   * makes the next write notify.
   */
  const nowMs = deps.nowMs ?? Date.now;
  let lastWakeAt = Number.NEGATIVE_INFINITY;
  const prepared = preparedQuery(dataSource);
  const durable = batchWhileBusy<{ payloads: AuditEventPayload[]; precondition?: AuditPrecondition }, boolean>({
    maxItems: DURABLE_BATCH_MAX_REQUESTS,
    maxInFlight: deps.durableInFlight ?? 2,
    splitOnError: refusedForItsData,
    run: async (calls) => {
      const t = nowMs();
      const notify = t - lastWakeAt >= DURABLE_WAKE_EVERY_MS;
      if (notify) lastWakeAt = t;
      try {
        const refused = await auditOutboxRepository.insertAll(prepared, calls, { notify });
        return calls.map((_, i) => !refused.has(i));
      } catch (err) {
        if (notify) lastWakeAt = Number.NEGATIVE_INFINITY;
        throw err;
      }
    },
  });

  return {
    /** Records an event, inside `em`'s transaction when given, so it commits with the change it describes. */
    record: async (e: AuditEventInput, em?: EntityManager): Promise<void> => {
      if (em) return auditOutboxRepository.insert(em, toAuditPayload(e));
      if ((e.decision === 'deny' || COLLAPSED_ALLOWED_ACTIONS.has(e.action)) && collapsed(e)) return;
      await enqueueOrOutbox(toAuditPayload(e));
    },

    /**
     * Commits the events to Postgres before returning (one statement, so all or none); throws if
     * it cannot, so the caller can refuse what they describe (fail closed). With a
     * `precondition` (a decision made on cached rows), answers false and writes nothing when it
     * no longer holds, checked in the same statement: the caller then decides again on fresh rows.
     */
    recordDurable: async (
      events: AuditEventInput | AuditEventInput[],
      precondition?: AuditPrecondition,
    ): Promise<boolean> =>
      durable({
        payloads: (Array.isArray(events) ? events : [events]).map((e) => toAuditPayload(e)),
        ...(precondition ? { precondition } : {}),
      }),

    flush,
    /** Flushes pending denial summaries; call before closing the queue's connection. */
    close: flush,
  };
};

export type AuditService = ReturnType<typeof auditServiceFactory>;
