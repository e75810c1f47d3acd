import { lineText, type ChainedAuditRecord } from '@nembl/core';
import { z } from 'zod';

const isoDateTime = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time, e.g. 2024-05-01T00:00:00Z' });

/** `GET /audit` filters (unknown parameters are ignored, as elsewhere); `limit` and `cursor` are parsed by the pagination helpers. */
export const auditListQuery = z
  .object({
    action: lineText.min(1).max(200).optional(),
    actor: lineText.min(1).max(512).optional(),
    secret: lineText.min(1).max(128).optional(),
    decision: z.enum(['allow', 'deny'], { message: 'must be allow or deny' }).optional(),
    from: isoDateTime.optional(),
    to: isoDateTime.optional(),
    limit: z.unknown().optional(),
    cursor: z.unknown().optional(),
  })
  .refine((q) => q.from === undefined || q.to === undefined || Date.parse(q.from) <= Date.parse(q.to), {
    path: ['to'],
    message: 'must not be before from',
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
