import type { EntityManager } from 'typeorm';
import type { ChainedAuditRecord } from './audit-types.js';

/**
 * SQL shared by the writer (worker) and the readers (API) of `audit_events`, so both agree on
 * how a row maps to the record that is hashed. (`seq` is not cast here: an output column named
 * like the input one would make `ORDER BY seq` sort the cast text; pg returns bigint as text anyway.)
 */
export const AUDIT_EVENT_COLUMNS = `
  id, company_id AS "companyId", seq, idempotency_key AS "idempotencyKey", at,
  actor_type AS "actorType", actor_id AS "actorId", actor_label AS "actorLabel", action,
  resource_kind AS "resourceKind", resource_name AS "resourceName", decision, reason, count,
  operation_id AS "operationId", request_id AS "requestId", ip, user_agent AS "userAgent",
  prev_hash AS "prevHash", hash`;

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

/**
 * Inserts chained records in one statement. A record whose idempotency key is already stored is
 * skipped (ON CONFLICT DO NOTHING); the keys actually inserted are returned so the caller can
 * tell. A seq already taken is a hard error: the chain must never fork.
 */
export const insertAuditRecords = async (em: EntityManager, records: readonly ChainedAuditRecord[]): Promise<Set<string>> => {
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
};
