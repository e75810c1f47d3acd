import type { EntityManager } from 'typeorm';
import type { AuditOutboxRow } from '../db/entities/identity-entities.js';
import type { SqlParam } from '../db/sql-fns.js';
import { AUDIT_OUTBOX_CHANNEL, type AuditEventPayload } from './audit-types.js';

type Queryable = Pick<EntityManager, 'query'>;

/** A claimed `audit_outbox` row: what the drainer needs of it. */
export type ClaimedOutboxRow = Pick<AuditOutboxRow, 'id' | 'companyId' | 'idempotencyKey' | 'event'>;

/**
 * `audit_outbox`: events on their way to the chained log. Every insert also NOTIFYs
 * `AUDIT_OUTBOX_CHANNEL`, which Postgres delivers only on commit (and folds identical
 * notifications of one transaction into one): the nudge that makes the worker drain at once.
 */
export const auditOutboxRepository = {
  /** One event, in the caller's transaction when `q` is one. */
  insert: async (q: Queryable, p: AuditEventPayload): Promise<void> => {
    await q.query(
      `WITH ins AS (INSERT INTO audit_outbox (company_id, idempotency_key, event) VALUES ($1, $2, $3) RETURNING id)
       SELECT pg_notify($4, '') FROM ins`,
      [p.companyId, p.idempotencyKey, JSON.stringify(p), AUDIT_OUTBOX_CHANNEL],
    );
  },

  /**
   * The insert as a data-modifying CTE `ev` of a caller's single-statement write, so the change
   * and its events commit together in one round trip: one row per row of `source.from` (a CTE or
   * join of the caller's), with the company from its `company_id` and the idempotency key and
   * payload from the given SQL expressions (parameters, or columns of `from`). No NOTIFY: Postgres
   * serializes the commits of notifying transactions, which a hot write path cannot afford; the
   * worker drains after each operation it finishes, and on its schedule.
   */
  cte: (source: { from: string; companyId: string; idempotencyKey: string; event: string }): string =>
    `ev AS (INSERT INTO audit_outbox (company_id, idempotency_key, event)
       SELECT ${source.companyId}, ${source.idempotencyKey}, ${source.event} FROM ${source.from})`,

  /** The payload's parts as parameters of the caller's statement, for `cte`. */
  cteParams: (e: AuditEventPayload, p: SqlParam) => ({
    idempotencyKey: p(e.idempotencyKey, '::text'),
    event: p(JSON.stringify(e), '::jsonb'),
  }),

  /**
   * Several events in one statement, so all or none are stored. With `notify` (the default) one
   * notification rides along; without, no NOTIFY: the commits of notifying transactions are
   * serialized by Postgres, so a hot path notifies only now and then (see `recordDurable`).
   */
  insertAll: async (q: Queryable, payloads: readonly AuditEventPayload[], opts: { notify?: boolean } = {}): Promise<void> => {
    if (payloads.length === 0) return;
    // One JSON array, not three arrays of text: node-postgres escapes every element of an array
    // parameter character by character, which cost a resolution's ten events more than the rest.
    const insert = `INSERT INTO audit_outbox (company_id, idempotency_key, event)
         SELECT (e->>'companyId')::uuid, e->>'idempotencyKey', e
           FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS a(e, n) ORDER BY n`;
    const events = JSON.stringify(payloads);
    if (opts.notify === false) {
      await q.query(insert, [events]);
      return;
    }
    await q.query(
      `WITH ins AS (${insert} RETURNING id)
       SELECT pg_notify($2, '') FROM (SELECT 1 FROM ins LIMIT 1) one`,
      [events, AUDIT_OUTBOX_CHANNEL],
    );
  },

  /** The oldest `limit` rows, locked until commit; rows another drainer holds are skipped. */
  claim: async (em: Queryable, limit: number): Promise<ClaimedOutboxRow[]> => {
    const rows: Array<{ id: string; company_id: string; idempotency_key: string; event: Record<string, unknown> }> =
      await em.query(
        `SELECT o.id::text AS id, o.company_id, o.idempotency_key, o.event FROM audit_outbox o
          ORDER BY o.id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit],
      );
    return rows.map((r) => ({ id: r.id, companyId: r.company_id, idempotencyKey: r.idempotency_key, event: r.event }));
  },

  remove: async (em: Queryable, ids: readonly string[]): Promise<void> => {
    await em.query(`DELETE FROM audit_outbox WHERE id = ANY($1::bigint[])`, [ids]);
  },
};
