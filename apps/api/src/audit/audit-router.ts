import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { allowedEvent, type AuditService } from '@nembl/core';
import { Router } from 'express';
import type { AuthzService } from '../authz/authz-service.js';
import { auditCursor, parseLimit, toPage } from '../http/pagination.js';
import { principalOf, requestContext } from '../http/request-context.js';
import { parseInput } from '../http/validate.js';
import type { AuditLogService } from './audit-log-service.js';
import { auditCsvHeader, auditCsvRow, auditJsonLine } from './audit-export-fns.js';
import { auditEventJson, auditExportQuery, auditFilterOf, auditListQuery } from './audit-types.js';

const EXPORT_TYPES = { csv: 'text/csv; charset=utf-8', jsonl: 'application/x-ndjson; charset=utf-8' } as const;

export interface AuditRouterDeps {
  auditLog: AuditLogService;
  authz: AuthzService;
  audit: Pick<AuditService, 'record'>;
  now: () => Date;
}

export const auditRouter = (deps: AuditRouterDeps): Router => {
  const r = Router();
  const auditResource = { kind: 'audit' as const };

  r.get('/audit', async (req, res) => {
    const p = principalOf(res);
    const query = parseInput(auditListQuery, req.query, 'query');
    const limit = parseLimit(req.query.limit);
    const cursor = auditCursor.decode(req.query.cursor);
    await deps.authz.require({ principal: p, action: 'audit:read', resource: auditResource }, requestContext(req, res));
    const rows = await deps.auditLog.list(p.companyId, auditFilterOf(query), limit + 1, cursor);
    res.json(toPage(rows, limit, auditCursor, (e) => ({ at: new Date(e.at), seq: e.seq }), auditEventJson));
  });

  r.get('/audit/export', async (req, res) => {
    const p = principalOf(res);
    const query = parseInput(auditExportQuery, req.query, 'query');
    const ctx = requestContext(req, res);
    await deps.authz.require({ principal: p, action: 'audit:read', resource: auditResource }, ctx);
    const startedAt = deps.now();
    // Recorded before the first byte: an export that is aborted half way was still an export.
    await deps.audit.record(allowedEvent(p, 'audit:export', { kind: 'audit', name: null }, ctx, startedAt, { reason: `export:${query.format}` }));
    const stamp = startedAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    res.status(200);
    res.setHeader('Content-Type', EXPORT_TYPES[query.format]);
    res.setHeader('Content-Disposition', `attachment; filename="nembl-audit-${stamp}.${query.format}"`);
    const events = deps.auditLog.export(p.companyId, auditFilterOf(query));
    const format = query.format;
    async function* lines() {
      if (format === 'csv') yield auditCsvHeader();
      for await (const chunk of events) yield chunk.map(format === 'csv' ? auditCsvRow : auditJsonLine).join('');
    }
    // A failure half way destroys the response, so the download ends truncated rather than looking complete.
    await pipeline(Readable.from(lines()), res);
  });

  r.get('/audit/verify', async (req, res) => {
    const p = principalOf(res);
    await deps.authz.require({ principal: p, action: 'audit:read', resource: auditResource }, requestContext(req, res));
    res.json(await deps.auditLog.verify(p.companyId));
  });

  return r;
};
