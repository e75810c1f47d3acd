import {
  AUDIT_EVENT_COLUMNS,
  auditEventRepository,
  auditRecordFromRow,
  type AuditEventRow,
  type ChainedAuditRecord,
  type ChainHead,
} from '@nembl/core';
import type { DataSource } from 'typeorm';
import type { AuditListFilter } from './audit-types.js';

/** Keyset position in (at, seq) order. */
export interface AuditPosition {
  at: Date;
  seq: number;
}

/** The WHERE clause of a filtered read, with its parameters. */
const filterSql = (companyId: string, filter: AuditListFilter) => {
  const where = ['company_id = $1'];
  const params: unknown[] = [companyId];
  const add = (sql: (p: string) => string, value: unknown) => {
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  if (filter.action) add((p) => `action = ${p}`, filter.action);
  if (filter.actor) add((p) => `(actor_id = ${p} OR actor_label = ${p})`, filter.actor);
  if (filter.secret) add((p) => `resource_kind = 'secret' AND resource_name = ${p}`, filter.secret);
  if (filter.decision) add((p) => `decision = ${p}`, filter.decision);
  if (filter.from) add((p) => `at >= ${p}`, filter.from);
  if (filter.to) add((p) => `at < ${p}`, filter.to);
  return { where, params, add };
};

/** Reads the audit log. Every query is scoped by company. */
export const auditRepositoryFactory = ({ dataSource }: { dataSource: DataSource }) => ({
  /** Newest first: by time, then by position in the chain; `after` is the last row of the previous page. */
  list: async (
    companyId: string,
    filter: AuditListFilter,
    limit: number,
    after?: AuditPosition,
  ): Promise<ChainedAuditRecord[]> => {
    const { where, params } = filterSql(companyId, filter);
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

  /**
   * Oldest first (the reverse of `list`), up to chain position `maxSeq`, after `after`: one chunk
   * of an export.
   */
  listAscending: async (
    companyId: string,
    filter: AuditListFilter,
    maxSeq: number,
    limit: number,
    after?: AuditPosition,
  ): Promise<ChainedAuditRecord[]> => {
    const { where, params, add } = filterSql(companyId, filter);
    add((p) => `seq <= ${p}::bigint`, maxSeq);
    if (after) {
      params.push(after.at, after.seq);
      where.push(`(at, seq) > ($${params.length - 1}::timestamptz, $${params.length}::bigint)`);
    }
    params.push(limit);
    const rows: AuditEventRow[] = await dataSource.query(
      `SELECT ${AUDIT_EVENT_COLUMNS} FROM audit_events WHERE ${where.join(' AND ')}
        ORDER BY at, seq LIMIT $${params.length}`,
      params,
    );
    return rows.map(auditRecordFromRow);
  },

  head: (companyId: string): Promise<ChainHead | undefined> => auditEventRepository.findHead(dataSource.manager, companyId),

  /** The next `size` events of the chain after `afterSeq`, up to `maxSeq` (when given), in seq order. */
  chainChunk: async (
    companyId: string,
    afterSeq: number,
    maxSeq: number | undefined,
    size: number,
  ): Promise<ChainedAuditRecord[]> => {
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
