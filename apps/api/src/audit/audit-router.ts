import { Router } from 'express';
import type { AuthzService } from '../authz/authz-service.js';
import { auditCursor, parseLimit, toPage } from '../http/pagination.js';
import { principalOf, requestContext } from '../http/request-context.js';
import { parseInput } from '../http/validate.js';
import type { AuditLogService } from './audit-log-service.js';
import { auditEventJson, auditListQuery } from './audit-types.js';

export const auditRouter = (deps: { auditLog: AuditLogService; authz: AuthzService }): Router => {
  const r = Router();
  const auditResource = { kind: 'audit' as const };

  r.get('/audit', async (req, res) => {
    const p = principalOf(res);
    const query = parseInput(auditListQuery, req.query, 'query');
    const limit = parseLimit(req.query.limit);
    const cursor = auditCursor.decode(req.query.cursor);
    await deps.authz.require({ principal: p, action: 'audit:read', resource: auditResource }, requestContext(req, res));
    const rows = await deps.auditLog.list(
      p.companyId,
      {
        action: query.action,
        actor: query.actor,
        secret: query.secret,
        decision: query.decision,
        from: query.from === undefined ? undefined : new Date(query.from),
        to: query.to === undefined ? undefined : new Date(query.to),
      },
      limit + 1,
      cursor,
    );
    res.json(toPage(rows, limit, auditCursor, (e) => ({ at: new Date(e.at), seq: e.seq }), auditEventJson));
  });

  r.get('/audit/verify', async (req, res) => {
    const p = principalOf(res);
    await deps.authz.require({ principal: p, action: 'audit:read', resource: auditResource }, requestContext(req, res));
    res.json(await deps.auditLog.verify(p.companyId));
  });

  return r;
};
