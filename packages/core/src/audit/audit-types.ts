import { z } from 'zod';
import type { Principal } from '../identity/principal.js';

export interface AuditActor {
  type: 'user' | 'token' | 'system';
  id: string | null;
  label: string;
}

/** Where a request came from; copied onto every event it causes. */
export interface RequestContext {
  requestId: string;
  ip: string | null;
  userAgent: string | null;
}

/** What callers hand to the audit service. */
export interface AuditEventInput {
  companyId: string;
  actor: AuditActor;
  action: string;
  resource: { kind: string; name: string | null; id?: string | null };
  decision: 'allow' | 'deny';
  reason: string;
  operationId?: string | null;
  context: RequestContext;
  at: Date;
}

export const actorOf = (p: Principal): AuditActor => ({ type: p.type, id: p.id, label: p.label });

/** The event for an action a principal was allowed to take (denials are recorded by authorization). */
export const allowedEvent = (
  p: Principal,
  action: string,
  resource: AuditEventInput['resource'],
  ctx: RequestContext,
  at: Date,
  extra: { reason?: string; operationId?: string | null } = {},
): AuditEventInput => ({
  companyId: p.companyId,
  actor: actorOf(p),
  action,
  resource,
  decision: 'allow',
  reason: extra.reason ?? 'explicit_allow',
  operationId: extra.operationId ?? null,
  context: ctx,
  at,
});

/** Postgres NOTIFY channel announcing committed `audit_outbox` rows (delivered only on commit). */
export const AUDIT_OUTBOX_CHANNEL = 'nembl_audit_outbox';

const guid = z.guid();

/**
 * An event on its way to the log (a job payload or an `audit_outbox` row): serializable, and
 * value-free by construction (no field can hold a secret value). `idempotencyKey` makes writing
 * it idempotent: a retried job or an event both queued and in the outbox is written once.
 */
export const auditEventPayloadSchema = z.object({
  idempotencyKey: z.string().min(1).max(200),
  companyId: guid,
  at: z.iso.datetime(),
  actor: z.object({ type: z.enum(['user', 'token', 'system']), id: z.string().nullable(), label: z.string() }),
  action: z.string().min(1),
  resource: z.object({ kind: z.string().min(1), name: z.string().nullable() }),
  decision: z.enum(['allow', 'deny']),
  reason: z.string(),
  count: z.number().int().min(1).default(1),
  operationId: guid.nullable().default(null),
  requestId: z.string(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
});
export type AuditEventPayload = z.output<typeof auditEventPayloadSchema>;

/**
 * A stored event exactly as it is hashed: every column of `audit_events` except `hash`.
 * Changing this shape changes every hash: stored chains would no longer verify.
 */
export interface AuditRecord {
  id: string;
  companyId: string;
  seq: number;
  idempotencyKey: string;
  /** ISO 8601 with milliseconds, as `Date.toISOString()` writes it. */
  at: string;
  actorType: AuditActor['type'];
  actorId: string | null;
  actorLabel: string;
  action: string;
  resourceKind: string;
  resourceName: string | null;
  decision: 'allow' | 'deny';
  reason: string;
  count: number;
  operationId: string | null;
  requestId: string;
  ip: string | null;
  userAgent: string | null;
  prevHash: string;
}

export interface ChainedAuditRecord extends AuditRecord {
  hash: string;
}

/** The last link of a company's chain (seq 0 and the genesis hash before the first event). */
export interface ChainHead {
  seq: number;
  hash: string;
}

export interface ChainVerification {
  ok: boolean;
  checked: number;
  firstBadEventId: string | null;
}
