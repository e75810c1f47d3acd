import { lineText, type ChainedAuditRecord } from '@nembl/core';
import { z } from 'zod';
import { dateTimeOut, idOut, pageOf } from '../http/response-schemas.js';

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

export const auditEventSchema = z
  .object({
    id: idOut,
    at: dateTimeOut,
    actor: z.object({ type: z.enum(['user', 'token', 'system']), id: z.string().nullable(), label: z.string() }),
    action: z.string(),
    resource: z.object({ kind: z.string(), name: z.string().nullable() }),
    decision: z.enum(['allow', 'deny']),
    reason: z.string(),
    count: z.int().min(1).meta({ description: 'More than 1 when repeats within a short window were collapsed.' }),
    operationId: idOut.optional().meta({ description: 'Only when the event belongs to a secret write.' }),
    requestId: z.string(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    hash: z.string().meta({ description: "SHA-256 (hex) of `prevHash` and the event: a link of the company's hash chain." }),
    prevHash: z.string().meta({ description: "The previous event's `hash` (64 zeros for the first event)." }),
  })
  .meta({ id: 'AuditEvent', description: 'An audit event (never a value).' });

export const auditEventPageSchema = pageOf(auditEventSchema, 'AuditEventPage');

export const auditVerificationSchema = z
  .object({ ok: z.boolean(), checked: z.int().min(0), firstBadEventId: idOut.nullable() })
  .meta({ id: 'AuditVerification' });

/** The contract's event shape. */
export const auditEventJson = (r: ChainedAuditRecord): z.infer<typeof auditEventSchema> => ({
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
