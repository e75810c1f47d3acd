import type { Queryable } from '../db/sql-fns.js';
import type { ChainedAuditRecord, ChainHead } from './audit-types.js';

/**
 * The storage of the hash-chained log: `audit_events` and its per-company head
 * `audit_chain_heads`. The worker appends through `auditEventRepository`; the API's readers
 * select `AUDIT_EVENT_COLUMNS` and map with `auditRecordFromRow`, so writer and readers agree on
 * how a row maps to the record that is hashed. (`seq` is not cast here: an output column named
 * like the input one would make `ORDER BY seq` sort the cast text; pg returns bigint as text anyway.)
 */
export const AUDIT_EVENT_COLUMNS = `
  id, company_id AS "companyId", seq, idempotency_key AS "idempotencyKey", at,
  actor_type AS "actorType", actor_id AS "actorId", actor_label AS "actorLabel", action,
  resource_kind AS "resourceKind", resource_name AS "resourceName", decision, reason, count,
  operation_id AS "operationId", request_id AS "requestId", ip, user_agent AS "userAgent",
  prev_hash AS "prevHash", hash`;

/** An `audit_events` row as selected with `AUDIT_EVENT_COLUMNS`. */
export interface AuditEventRow extends Omit<ChainedAuditRecord, 'seq' | 'at'> {
  seq: string;
  at: Date;
}

export const auditRecordFromRow = (row: AuditEventRow): ChainedAuditRecord => ({
  ...row,
  // bigint arrives as text; a company would need 2^53 events to lose precision.
  seq: Number(row.seq),
  at: row.at.toISOString(),
});

/** The chain's statements. The writes run in the caller's transaction (`em`): head lock and inserts commit together. */
/**
 * One probe of the unique index per key: the lateral subquery (kept apart by its LIMIT) can only
 * run per key. `idempotency_key = ANY($1)` let the planner scan the whole log instead, which it
 * prices below a few hundred index probes: 16 ms per drain at 100,000 events, and growing.
 */
export const STORED_KEYS_SQL = `SELECT e.idempotency_key
   FROM unnest($1::text[]) AS k(key),
        LATERAL (SELECT idempotency_key FROM audit_events WHERE idempotency_key = k.key LIMIT 1) e`;

export const auditEventRepository = {
  /** Creates the company's head at `genesisHash` unless it exists, or the company does not. */
  ensureHead: async (em: Queryable, companyId: string, genesisHash: string): Promise<void> => {
    await em.query(
      `INSERT INTO audit_chain_heads (company_id, seq, hash)
       SELECT $1, 0, $2 WHERE EXISTS (SELECT 1 FROM companies WHERE id = $1)
       ON CONFLICT (company_id) DO NOTHING`,
      [companyId, genesisHash],
    );
  },

  /** The company's head; with `lock`, locked until commit (appends to one company are serialized by it). */
  findHead: async (q: Queryable, companyId: string, lock = false): Promise<ChainHead | undefined> => {
    const rows: Array<{ seq: string; hash: string }> = await q.query(
      `SELECT seq::text AS seq, hash FROM audit_chain_heads WHERE company_id = $1${lock ? ' FOR UPDATE' : ''}`,
      [companyId],
    );
    const row = rows[0];
    return row ? { seq: Number(row.seq), hash: row.hash } : undefined;
  },

  moveHead: async (em: Queryable, companyId: string, head: ChainHead): Promise<void> => {
    await em.query(`UPDATE audit_chain_heads SET seq = $2, hash = $3 WHERE company_id = $1`, [
      companyId,
      head.seq,
      head.hash,
    ]);
  },

  /**
   * The idempotency keys among `keys` already in the log: one unique-index probe per key
   * (`STORED_KEYS_SQL`), whatever the size of the log.
   */
  storedKeys: async (em: Queryable, keys: readonly string[]): Promise<Set<string>> => {
    const rows: Array<{ idempotency_key: string }> = await em.query(STORED_KEYS_SQL, [keys]);
    return new Set(rows.map((r) => r.idempotency_key));
  },

  /**
   * Inserts chained records in one statement. A record whose idempotency key is already stored is
   * skipped (ON CONFLICT DO NOTHING); the keys actually inserted are returned so the caller can
   * tell. A seq already taken is a hard error: the chain must never fork.
   */
  insert: async (em: Queryable, records: readonly ChainedAuditRecord[]): Promise<Set<string>> => {
    if (records.length === 0) return new Set();
    const rows: Array<{ idempotency_key: string }> = await em.query(
      `INSERT INTO audit_events (id, company_id, seq, idempotency_key, at, actor_type, actor_id, actor_label, action,
                                 resource_kind, resource_name, decision, reason, count, operation_id, request_id, ip,
                                 user_agent, prev_hash, hash)
       SELECT r.id, r."companyId", r.seq, r."idempotencyKey", r.at, r."actorType", r."actorId", r."actorLabel", r.action,
              r."resourceKind", r."resourceName", r.decision, r.reason, r.count, r."operationId", r."requestId", r.ip,
              r."userAgent", r."prevHash", r.hash
         FROM jsonb_to_recordset($1::jsonb) AS r(
                id uuid, "companyId" uuid, seq bigint, "idempotencyKey" text, at timestamptz, "actorType" text,
                "actorId" text, "actorLabel" text, action text, "resourceKind" text, "resourceName" text, decision text,
                reason text, count integer, "operationId" uuid, "requestId" text, ip text, "userAgent" text,
                "prevHash" text, hash text)
           ORDER BY r.seq
       ON CONFLICT (idempotency_key) DO NOTHING
       RETURNING idempotency_key`,
      [JSON.stringify(records)],
    );
    return new Set(rows.map((r) => r.idempotency_key));
  },
};
