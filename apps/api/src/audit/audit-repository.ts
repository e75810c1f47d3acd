import { AUDIT_EVENT_COLUMNS, auditRecordFromRow, type AuditEventRow, type ChainedAuditRecord, type ChainHead } from '@nembl/core';
import type { DataSource } from 'typeorm';
import type { AuditListFilter } from './audit-types.js';

/** Reads the audit log. Every query is scoped by company. */
export const auditRepositoryFactory = ({ dataSource }: { dataSource: DataSource }) => ({
  /** Newest first: by time, then by position in the chain; `after` is the last row of the previous page. */
  list: async (
    companyId: string,
    filter: AuditListFilter,
    limit: number,
    after?: { at: Date; seq: number },
  ): Promise<ChainedAuditRecord[]> => {
    const where = ['company_id = $1'];
    const params: unknown[] = [companyId];
    const add = (sql: (n: string) => string, value: unknown) => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (filter.action) add((p) => `action = ${p}`, filter.action);
    if (filter.actor) add((p) => `(actor_id = ${p} OR actor_label = ${p})`, filter.actor);
    if (filter.secret) add((p) => `resource_kind = 'secret' AND resource_name = ${p}`, filter.secret);
    if (filter.decision) add((p) => `decision = ${p}`, filter.decision);
    if (filter.from) add((p) => `at >= ${p}`, filter.from);
    if (filter.to) add((p) => `at < ${p}`, filter.to);
    if (after) {
      params.push(after.at, after.seq);
      where.push(`(at, seq) < ($${params.length - 1}::timestamptz, $${params.length}::bigint)`);
    }
    params.push(limit);
    const rows: AuditEventRow[] = await dataSource.query(
      `SELECT ${AUDIT_EVENT_COLUMNS} FROM audit_events WHERE ${where.join(' AND ')}
        ORDER BY at DESC, seq DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(auditRecordFromRow);
  },

  head: async (companyId: string): Promise<ChainHead | undefined> => {
    const rows: Array<{ seq: string; hash: string }> = await dataSource.query(
      `SELECT seq::text AS seq, hash FROM audit_chain_heads WHERE company_id = $1`,
      [companyId],
    );
    const row = rows[0];
    return row ? { seq: Number(row.seq), hash: row.hash } : undefined;
  },

  /** The next `size` events of the chain after `afterSeq`, up to `maxSeq` (when given), in seq order. */
  chainChunk: async (companyId: string, afterSeq: number, maxSeq: number | undefined, size: number): Promise<ChainedAuditRecord[]> => {
    const rows: AuditEventRow[] = await dataSource.query(
      `SELECT ${AUDIT_EVENT_COLUMNS} FROM audit_events
        WHERE company_id = $1 AND seq > $2 AND ($3::bigint IS NULL OR seq <= $3::bigint)
        ORDER BY seq LIMIT $4`,
      [companyId, afterSeq, maxSeq ?? null, size],
    );
    return rows.map(auditRecordFromRow);
  },
});

export type AuditRepository = ReturnType<typeof auditRepositoryFactory>;
