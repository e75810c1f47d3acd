import {
  auditEventPayloadSchema,
  auditOutboxRepository,
  type AuditEventPayload,
  type ClaimedOutboxRow,
  type Logger,
} from '@nembl/core';
import type { DataSource } from 'typeorm';
import type { AuditChainWriter } from './audit-chain-writer.js';

export const DEFAULT_OUTBOX_BATCH = 500;

/**
 * Moves events from `audit_outbox` into the chained log. Each pass claims the oldest rows
 * (FOR UPDATE SKIP LOCKED, so concurrent drainers take disjoint rows), appends them and deletes
 * them in one transaction: a crash anywhere leaves the rows in the outbox for the next pass,
 * and the idempotency keys make a pass that did commit harmless to repeat.
 *
 * `run` coalesces callers: a call while a drain is running makes that drain go round once more
 * instead of starting a second one in this process.
 */
export const auditOutboxDrainerFactory = (deps: {
  dataSource: DataSource;
  writer: Pick<AuditChainWriter, 'appendInTransaction'>;
  logger: Logger;
  batchSize?: number;
  kickDebounceMs?: number;
}) => {
  const { dataSource, writer, logger } = deps;
  const batchSize = deps.batchSize ?? DEFAULT_OUTBOX_BATCH;
  const kickDebounceMs = deps.kickDebounceMs ?? 100;

  const parse = (row: ClaimedOutboxRow): AuditEventPayload | undefined => {
    // The row's columns are authoritative for company and key.
    const r = auditEventPayloadSchema.safeParse({ ...row.event, companyId: row.companyId, idempotencyKey: row.idempotencyKey });
    if (r.success) return r.data;
    logger.error({ outboxId: row.id, issues: r.error.issues.map((i) => i.path.join('.')) }, 'unreadable audit outbox row left in place');
    return undefined;
  };

  /** One pass; returns how many rows it moved into the log. */
  const pass = () =>
    dataSource.transaction(async (em) => {
      const rows = await auditOutboxRepository.claim(em, batchSize);
      if (rows.length === 0) return 0;
      const byCompany = new Map<string, { ids: string[]; events: AuditEventPayload[] }>();
      for (const row of rows) {
        const event = parse(row);
        if (!event) continue;
        const group = byCompany.get(event.companyId) ?? { ids: [], events: [] };
        group.ids.push(row.id);
        group.events.push(event);
        byCompany.set(event.companyId, group);
      }
      // Chain heads are locked in company order, so two drainers never deadlock on each other.
      const companies = [...byCompany.keys()].sort();
      for (const companyId of companies) await writer.appendInTransaction(em, companyId, byCompany.get(companyId)!.events);
      const ids = companies.flatMap((c) => byCompany.get(c)!.ids);
      await auditOutboxRepository.remove(em, ids);
      return ids.length;
    });

  const drain = async (): Promise<number> => {
    let total = 0;
    for (;;) {
      const n = await pass();
      total += n;
      if (n < batchSize) return total;
    }
  };

  let running: Promise<number> | undefined;
  let again = false;
  let kickTimer: NodeJS.Timeout | undefined;

  const run = (): Promise<number> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let total = 0;
      do {
        again = false;
        total += await drain();
      } while (again);
      return total;
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  return {
    run,
    /** Resolves once no drain is running in this process (for shutdown). */
    settled: async (): Promise<void> => {
      clearTimeout(kickTimer);
      kickTimer = undefined;
      await running?.catch(() => undefined);
    },
    /**
     * Fire-and-forget `run`, for nudges. Nudges within `kickDebounceMs` share one drain, so a burst
     * of committed events costs one pass, not one per event (at the price of that much latency).
     */
    kick: (): void => {
      if (kickTimer) return;
      kickTimer = setTimeout(() => {
        kickTimer = undefined;
        run().catch((err: Error) => logger.warn({ err: { message: err.message } }, 'audit outbox drain failed; the schedule retries'));
      }, kickDebounceMs);
    },
  };
};

export type AuditOutboxDrainer = ReturnType<typeof auditOutboxDrainerFactory>;
