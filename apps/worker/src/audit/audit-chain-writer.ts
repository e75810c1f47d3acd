import { randomUUID } from 'node:crypto';
import { appendToChain, auditEventRepository, GENESIS_HASH, type AuditEventPayload, type Logger } from '@nembl/core';
import type { DataSource, EntityManager } from 'typeorm';

export interface AppendResult {
  written: number;
  /** Already in the log (a retried job, or an event both queued and in the outbox). */
  duplicates: number;
}

/**
 * Appends events to their company's hash chain in `audit_events`. Appends to one company are
 * serialized by a row lock on its chain head, so the chain stays linear however many workers
 * write at once; events whose idempotency key is already stored are skipped without taking a
 * place in the chain, so a retry never writes twice.
 */
export const auditChainWriterFactory = ({ dataSource, logger }: { dataSource: DataSource; logger: Logger }) => {
  /** Must run inside a transaction: the head lock and the inserts commit together. */
  const appendInTransaction = async (em: EntityManager, companyId: string, events: readonly AuditEventPayload[]): Promise<AppendResult> => {
    await auditEventRepository.ensureHead(em, companyId, GENESIS_HASH);
    const head = await auditEventRepository.findHead(em, companyId, true);
    if (!head) {
      // The company was deleted (its events went with it); nothing left to attach these to.
      logger.warn({ companyId, events: events.length }, 'dropping audit events of a deleted company');
      return { written: 0, duplicates: events.length };
    }
    // Under the head lock every earlier append for this company has committed, so this sees them all.
    const seen = await auditEventRepository.storedKeys(em, [...new Set(events.map((e) => e.idempotencyKey))]);
    const fresh: AuditEventPayload[] = [];
    for (const e of events) {
      if (seen.has(e.idempotencyKey)) continue;
      seen.add(e.idempotencyKey);
      fresh.push(e);
    }
    if (fresh.length === 0) return { written: 0, duplicates: events.length };

    const chained = appendToChain(head, fresh, randomUUID);
    const inserted = await auditEventRepository.insert(em, chained.records);
    if (inserted.size !== chained.records.length) {
      // Only possible if a key was stored under another company meanwhile. Roll back rather than
      // leave a gap in the chain; the retry's duplicate check then skips that event.
      throw new Error('audit idempotency key written concurrently; retrying the batch');
    }
    await auditEventRepository.moveHead(em, companyId, chained.head);
    return { written: fresh.length, duplicates: events.length - fresh.length };
  };

  return {
    appendInTransaction,

    /** One transaction per company. Outcomes are index-aligned with `events`: undefined = written. */
    writeEvents: async (events: readonly AuditEventPayload[]): Promise<Array<Error | undefined>> => {
      const byCompany = new Map<string, number[]>();
      events.forEach((e, i) => {
        const list = byCompany.get(e.companyId) ?? [];
        list.push(i);
        byCompany.set(e.companyId, list);
      });
      const outcomes: Array<Error | undefined> = new Array(events.length).fill(undefined);
      await Promise.all(
        [...byCompany].map(async ([companyId, indexes]) => {
          try {
            await dataSource.transaction((em) => appendInTransaction(em, companyId, indexes.map((i) => events[i]!)));
          } catch (err) {
            for (const i of indexes) outcomes[i] = err as Error;
          }
        }),
      );
      return outcomes;
    },
  };
};

export type AuditChainWriter = ReturnType<typeof auditChainWriterFactory>;
