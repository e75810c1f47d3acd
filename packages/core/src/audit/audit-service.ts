import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { AuditEventInput } from './audit-types.js';

/**
 * Records audit events. Every event is first made durable in `audit_outbox` (Postgres), from
 * which the audit worker builds the hash-chained log. Events never carry a value.
 */
export const auditServiceFactory = ({ dataSource }: { dataSource: DataSource }) => {
  const toRow = (e: AuditEventInput) => [
    e.companyId,
    randomUUID(),
    JSON.stringify({
      actor: e.actor,
      action: e.action,
      resource: e.resource,
      decision: e.decision,
      reason: e.reason,
      operationId: e.operationId ?? null,
      requestId: e.context.requestId,
      ip: e.context.ip,
      userAgent: e.context.userAgent,
      at: e.at.toISOString(),
    }),
  ];

  const insert = (em: EntityManager, e: AuditEventInput) =>
    em.query(`INSERT INTO audit_outbox (company_id, idempotency_key, event) VALUES ($1, $2, $3)`, toRow(e));

  return {
    /** Records an event, inside `em`'s transaction when given, so it commits with the change it describes. */
    record: async (e: AuditEventInput, em?: EntityManager): Promise<void> => {
      await insert(em ?? dataSource.manager, e);
    },
  };
};

export type AuditService = ReturnType<typeof auditServiceFactory>;
