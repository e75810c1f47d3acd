import {
  auditEventPayloadSchema,
  auditOutboxRepository,
  isPackedAuditEvents,
  unpackAuditEvents,
  type AuditEventPayload,
  type ClaimedOutboxRow,
  type Logger,
} from '@nembl/core';
import type { DataSource } from 'typeorm';
import type { AuditChainWriter } from './audit-chain-writer.js';

export const DEFAULT_OUTBOX_BATCH = 500;
/** Unreadable rows a drainer remembers to skip; past this they are claimed (and logged) again. */
const MAX_UNREADABLE_SKIPPED = 10_000;

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

  /** The row's events; undefined (and the row left in place) when one of them is unreadable. */
  const parse = (row: ClaimedOutboxRow): AuditEventPayload[] | undefined => {
    // The row's columns are authoritative for company, and for the key of a single event (the
    // events packed in one row carry their own).
    const packed = isPackedAuditEvents(row.event);
    const events: AuditEventPayload[] = [];
    for (const event of unpackAuditEvents(row.event)) {
      const r = auditEventPayloadSchema.safeParse({
        ...(event as object),
        companyId: row.companyId,
        ...(packed ? {} : { idempotencyKey: row.idempotencyKey }),
      });
      if (!r.success) {
        logger.error({ outboxId: row.id, issues: r.error.issues.map((i) => i.path.join('.')) }, 'unreadable audit outbox row left in place');
        return undefined;
      }
      events.push(r.data);
    }
    return events;
  };

  /**
   * Rows found unreadable, skipped by later claims of this process: each pass then claims a full
   * batch of rows it can move, so one bad row neither ends every drain after a pass nor, with a
   * batch's worth of them, holds the drain on the same rows forever.
   */
  const unreadable = new Set<string>();

  /** One pass: how many rows it claimed and how many (rows, not events) it moved into the log. */
  const pass = () =>
    dataSource.transaction(async (em) => {
      const rows = await auditOutboxRepository.claim(em, batchSize, [...unreadable]);
      if (rows.length === 0) return { claimed: 0, moved: 0 };
      const byCompany = new Map<string, { ids: string[]; events: AuditEventPayload[] }>();
      for (const row of rows) {
        const events = parse(row);
        if (!events) {
          if (unreadable.size < MAX_UNREADABLE_SKIPPED) unreadable.add(row.id);
          continue;
        }
        const group = byCompany.get(row.companyId) ?? { ids: [], events: [] };
        group.ids.push(row.id);
        group.events.push(...events);
        byCompany.set(row.companyId, group);
      }
      // Chain heads are locked in company order, so two drainers never deadlock on each other.
      const companies = [...byCompany.keys()].sort();
      for (const companyId of companies) await writer.appendInTransaction(em, companyId, byCompany.get(companyId)!.events);
      const ids = companies.flatMap((c) => byCompany.get(c)!.ids);
      await auditOutboxRepository.remove(em, ids);
      return { claimed: rows.length, moved: ids.length };
    });

  const drain = async (): Promise<number> => {
    let total = 0;
    for (;;) {
      const { claimed, moved } = await pass();
      total += moved;
      if (claimed < batchSize || moved === 0) return total;
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
