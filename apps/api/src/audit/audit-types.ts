import { lineText, type ChainedAuditRecord } from '@nembl/core';
import { z } from 'zod';

const isoDateTime = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time, e.g. 2024-05-01T00:00:00Z' });

const auditFilterQuery = z.object({
  action: lineText.min(1).max(200).optional(),
  actor: lineText.min(1).max(512).optional(),
  secret: lineText.min(1).max(128).optional(),
  decision: z.enum(['allow', 'deny'], { message: 'must be allow or deny' }).optional(),
  from: isoDateTime.optional(),
  to: isoDateTime.optional(),
});

const fromNotAfterTo = [
  (q: { from?: string | undefined; to?: string | undefined }) => q.from === undefined || q.to === undefined || Date.parse(q.from) <= Date.parse(q.to),
  { path: ['to'], message: 'must not be before from' },
] satisfies [unknown, { path: string[]; message: string }];

/** `GET /audit` filters (unknown parameters are ignored, as elsewhere); `limit` and `cursor` are parsed by the pagination helpers. */
export const auditListQuery = auditFilterQuery
  .extend({ limit: z.unknown().optional(), cursor: z.unknown().optional() })
  .refine(...fromNotAfterTo);

export const AUDIT_EXPORT_FORMATS = ['csv', 'jsonl'] as const;
export type AuditExportFormat = (typeof AUDIT_EXPORT_FORMATS)[number];

/** `GET /audit/export`: the same filters, and the file format. */
export const auditExportQuery = auditFilterQuery
  .extend({ format: z.enum(AUDIT_EXPORT_FORMATS, { message: 'must be csv or jsonl' }).default('jsonl') })
  .refine(...fromNotAfterTo);

/** The filter of a parsed `GET /audit` or `/audit/export` query. */
export const auditFilterOf = (q: z.infer<typeof auditFilterQuery>): AuditListFilter => ({
  action: q.action,
  actor: q.actor,
  secret: q.secret,
  decision: q.decision,
  from: q.from === undefined ? undefined : new Date(q.from),
  to: q.to === undefined ? undefined : new Date(q.to),
});

export interface AuditListFilter {
  action?: string | undefined;
  actor?: string | undefined;
  secret?: string | undefined;
  decision?: 'allow' | 'deny' | undefined;
  /** Inclusive. */
  from?: Date | undefined;
  /** Exclusive. */
  to?: Date | undefined;
}

/** The contract's event shape. */
export const auditEventJson = (r: ChainedAuditRecord) => ({
  id: r.id,
  at: r.at,
  actor: { type: r.actorType, id: r.actorId, label: r.actorLabel },
  action: r.action,
  resource: { kind: r.resourceKind, name: r.resourceName },
  decision: r.decision,
  reason: r.reason,
  count: r.count,
  ...(r.operationId ? { operationId: r.operationId } : {}),
  requestId: r.requestId,
  ip: r.ip,
  userAgent: r.userAgent,
  hash: r.hash,
  prevHash: r.prevHash,
});
