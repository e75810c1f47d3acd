import type { AuditOutboxRow } from '../db/entities/identity-entities.js';
import type { PreparedQuery } from '../db/prepared-query.js';
import type { Queryable, SqlParam } from '../db/sql-fns.js';
import { AUDIT_OUTBOX_CHANNEL, type AuditEventPayload } from './audit-types.js';
import { packAuditEvents } from './outbox-rows.js';

/**
 * What a decision behind audited events was made on, as the caller read it (perhaps from a
 * cache): the events are written only if it still holds when they are.
 */
export interface AuditPrecondition {
  companyId: string;
  /** This run still exists (deleting a workflow deletes its runs)… */
  runId?: string;
  /** …and has not expired at this instant (ISO 8601), as its row says now (an operator may end a run in SQL). */
  runLiveAt?: string;
  /** These secrets' rows are still the ones read: `stamp` is the row's `xmin` (`secretRowStamp`). */
  secrets: ReadonlyArray<{ id: string; stamp: string }>;
}

/** The SQL of a secret row's stamp for `AuditPrecondition` (every UPDATE of the row changes it). */
export const secretRowStamp = (alias: string): string => `${alias}.xmin::text`;

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
   * The events of several calls in one statement, so all or none are stored: one row per call and
   * company, its events packed (`packAuditEvents`). With `notify` (the default) one notification
   * rides along; without, no NOTIFY: the commits of notifying transactions are serialized by
   * Postgres, so a hot path notifies only now and then (see `recordDurable`).
   *
   * A call with a `precondition` is written only if it holds in the statement's own snapshot, so
   * a decision made on cached rows is re-checked in the same round trip as its audit. Answers the
   * indexes of the calls refused (nothing of them written). Prepared statements: planning the
   * guarded one cost as much as running it.
   */
  insertAll: async (
    prepared: PreparedQuery,
    calls: ReadonlyArray<{ payloads: readonly AuditEventPayload[]; precondition?: AuditPrecondition }>,
    opts: { notify?: boolean } = {},
  ): Promise<Set<number>> => {
    const rows: Array<{ call: number; companyId: string; idempotencyKey: string; event: unknown }> = [];
    const guards: Array<AuditPrecondition & { call: number }> = [];
    calls.forEach(({ payloads, precondition }, call) => {
      const byCompany = new Map<string, AuditEventPayload[]>();
      for (const p of payloads) {
        const events = byCompany.get(p.companyId);
        if (events) events.push(p);
        else byCompany.set(p.companyId, [p]);
      }
      for (const [companyId, events] of byCompany)
        rows.push({ call, companyId, idempotencyKey: events[0]!.idempotencyKey, event: packAuditEvents(events) });
      if (precondition && payloads.length > 0) guards.push({ call, ...precondition });
    });
    if (rows.length === 0) return new Set();
    // One JSON array, not arrays of text: node-postgres escapes every element of an array
    // parameter character by character, which cost a resolution's events more than the rest.
    const json = JSON.stringify(rows);
    const notify = opts.notify !== false;
    const insert = `INSERT INTO audit_outbox (company_id, idempotency_key, event)
         SELECT (r->>'companyId')::uuid, r->>'idempotencyKey', r->'event'
           FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS a(r, n)`;
    if (guards.length === 0) {
      if (!notify) await prepared('audit-outbox-insert', `${insert} ORDER BY n`, [json]);
      else
        await prepared(
          'audit-outbox-insert-notify',
          `WITH ins AS (${insert} ORDER BY n RETURNING id)
           SELECT pg_notify($2, '') FROM (SELECT 1 FROM ins LIMIT 1) one`,
          [json, AUDIT_OUTBOX_CHANNEL],
        );
      return new Set();
    }
    // A run deleted (with its workflow) or ended, or a secret row updated since it was read (xmin
    // changes with every UPDATE: status, tags, type, version) refuses the call.
    const refused = await prepared<{ refused: number | null }>(
      'audit-outbox-insert-guarded',
      `WITH refused AS (
         SELECT (g->>'call')::int AS call FROM jsonb_array_elements($2::jsonb) AS c(g)
          WHERE NOT (
            (g->>'runId' IS NULL OR EXISTS (
              SELECT 1 FROM runs r WHERE r.company_id = (g->>'companyId')::uuid AND r.id = (g->>'runId')::uuid
                 AND (g->>'runLiveAt' IS NULL OR r.expires_at > (g->>'runLiveAt')::timestamptz)))
            AND NOT EXISTS (
              SELECT 1 FROM jsonb_array_elements(g->'secrets') AS w(s)
               WHERE NOT EXISTS (
                 SELECT 1 FROM secrets s WHERE s.company_id = (g->>'companyId')::uuid AND s.id = (w.s->>'id')::uuid
                    AND s.xmin::text = w.s->>'stamp')))),
       ins AS (${insert}
          WHERE NOT EXISTS (SELECT 1 FROM refused WHERE refused.call = (r->>'call')::int) ORDER BY n
         RETURNING 1),
       wake AS (SELECT pg_notify($3, '') FROM (SELECT 1 FROM ins LIMIT 1) one WHERE $4::boolean)
       SELECT refused.call AS refused FROM (SELECT count(*) FROM wake) w LEFT JOIN refused ON true`,
      [json, JSON.stringify(guards), AUDIT_OUTBOX_CHANNEL, notify],
    );
    return new Set(refused.flatMap((r) => (r.refused === null ? [] : [r.refused])));
  },

  /** The oldest `limit` rows but `skip`, locked until commit; rows another drainer holds are skipped. */
  claim: async (em: Queryable, limit: number, skip: readonly string[] = []): Promise<ClaimedOutboxRow[]> => {
    const rows: Array<{ id: string; company_id: string; idempotency_key: string; event: Record<string, unknown> }> =
      await em.query(
        `SELECT o.id::text AS id, o.company_id, o.idempotency_key, o.event FROM audit_outbox o
          WHERE o.id <> ALL($2::bigint[])
          ORDER BY o.id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit, skip],
      );
    return rows.map((r) => ({ id: r.id, companyId: r.company_id, idempotencyKey: r.idempotency_key, event: r.event }));
  },

  remove: async (em: Queryable, ids: readonly string[]): Promise<void> => {
    await em.query(`DELETE FROM audit_outbox WHERE id = ANY($1::bigint[])`, [ids]);
  },
};
