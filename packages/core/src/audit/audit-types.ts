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
