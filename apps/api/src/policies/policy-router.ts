import {
  allowedEvent,
  lineText,
  NotFoundError,
  UnprocessableError,
  ValidationError,
  type AuditService,
  type Principal,
  type RequestContext,
} from '@nembl/core';
import {
  ACTIONS,
  addUsage,
  documentUsage,
  exceededLimits,
  NO_USAGE,
  parsePolicyDocument,
  RESOURCE_KINDS,
  type PolicyDocument,
  type ResourceAttrs,
} from '@nembl/policy';
import { Router } from 'express';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import type { AuthzService } from '../authz/authz-service.js';
import { nameCursor, parseLimit, toPage } from '../http/pagination.js';
import { dateTimeOut, decisionReasonOut, idOut, pageOf } from '../http/response-schemas.js';
import { principalOf, requestContext } from '../http/request-context.js';
import { idParams, parseInput } from '../http/validate.js';
import type { SecretRepository } from '../secrets/secret-repository.js';
import { secretResource } from '../secrets/secret-types.js';
import type { TokenRepository } from '../tokens/token-repository.js';
import type { UserRepository } from '../users/user-repository.js';
import type { PolicyRepository, PolicyRow } from './policy-repository.js';

const principalSetOut = z
  .object({ users: z.array(z.string()), tokens: z.array(z.string()), roles: z.array(z.string()), groups: z.array(z.string()) })
  .partial()
  .meta({ id: 'PrincipalSet', description: 'Matches if any listed item matches.' });

export const policyStatementSchema = z
  .object({
    sid: z.string().optional().meta({ description: 'Unique within the document.' }),
    effect: z.enum(['allow', 'deny']),
    actions: z.array(z.string()),
    principals: z.union([z.literal('*'), principalSetOut]),
    notPrincipals: principalSetOut.optional(),
    resources: z.array(z.string()).optional(),
    conditions: z.record(z.string(), z.record(z.string(), z.union([z.string(), z.boolean(), z.array(z.string())]))).optional(),
  })
  .meta({ id: 'PolicyStatement' });

export const policySchema = z
  .object({
    id: idOut,
    name: z.string(),
    description: z.string(),
    statements: z.array(policyStatementSchema),
    createdAt: dateTimeOut,
    updatedAt: dateTimeOut,
  })
  .meta({ id: 'Policy' });

export const policyEnvelopeSchema = z.object({ policy: policySchema });
export const policyPageSchema = pageOf(policySchema, 'PolicyPage');

export const decisionSchema = z
  .object({
    decision: z.enum(['allow', 'deny']),
    reason: decisionReasonOut,
    matched: z.array(z.object({ policyId: z.string(), policyName: z.string(), sid: z.string() })),
  })
  .meta({ id: 'Decision', description: 'The decision and the statements that decided it.' });

export const policyJson = (p: PolicyRow): z.infer<typeof policySchema> => ({
  id: p.id,
  name: p.name,
  description: p.description,
  statements: p.document.statements,
  createdAt: p.createdAt.toISOString(),
  updatedAt: p.updatedAt.toISOString(),
});

const parseDocument = (body: unknown): PolicyDocument => {
  const parsed = parsePolicyDocument(body);
  if (!parsed.ok) {
    const first = parsed.errors[0]!;
    throw new ValidationError(`${first.path}: ${first.message}`, { errors: parsed.errors });
  }
  return parsed.document;
};

// The bounds of real roles and groups (50 of at most 64 characters), which the policy limits assume.
const names = z.array(lineText.min(1).max(64)).max(50);
export const simulateSchema = z.strictObject({
  principal: z.union([
    z.strictObject({ userId: z.uuid() }),
    z.strictObject({ tokenId: z.uuid() }),
    z.strictObject({ roles: names.default([]), groups: names.default([]) }),
  ]),
  action: z.enum(ACTIONS as [string, ...string[]], { message: 'must be a known action' }),
  resource: z.union([
    z.strictObject({ secret: lineText.min(1).max(128) }),
    z.strictObject({
      kind: z.enum(RESOURCE_KINDS as unknown as [string, ...string[]]).optional(),
      name: lineText.max(256).optional(),
      tags: z.record(lineText.max(128), lineText.max(256)).optional(),
    }),
  ]),
});

/** 400 naming each per-company limit the company's set would break with `doc` in it. */
const assertWithinLimits = (others: readonly PolicyDocument[], doc: PolicyDocument): void => {
  const usage = [...others, doc].map(documentUsage).reduce(addUsage, NO_USAGE);
  const exceeded = exceededLimits(usage);
  if (exceeded.length === 0) return;
  throw new ValidationError(exceeded.map((e) => e.message).join('; '), {
    errors: exceeded.map((e) => ({ path: e.path, message: e.message })),
    extra: { limits: exceeded.map(({ limit, max, actual }) => ({ limit, max, actual })) },
  });
};

export interface PolicyRouterDeps {
  dataSource: DataSource;
  policies: PolicyRepository;
  authz: AuthzService;
  audit: Pick<AuditService, 'record'>;
  users: Pick<UserRepository, 'find'>;
  tokens: Pick<TokenRepository, 'find'>;
  secrets: Pick<SecretRepository, 'findLive'>;
  /**
   * After a policy write commits: drops the company's compiled policies here and resolves once
   * every other API process has dropped them too (the metadata barrier), so the change is in
   * force everywhere when the write answers.
   */
  announcePolicyChange: (companyId: string) => Promise<void>;
  now: () => Date;
}

export const policyRouter = (deps: PolicyRouterDeps): Router => {
  const r = Router();
  const resource = (name?: string) => ({ kind: 'policy' as const, ...(name ? { name } : {}) });

  const audited = (p: Principal, action: string, row: PolicyRow, ctx: RequestContext, em: Parameters<AuditService['record']>[1]) =>
    deps.audit.record(allowedEvent(p, action, { kind: 'policy', name: row.name, id: row.id }, ctx, deps.now()), em);

  const find = async (p: Principal, id: string) => {
    const row = await deps.policies.find(p.companyId, id);
    if (!row) throw new NotFoundError('No such policy');
    return row;
  };

  r.get('/policies', async (req, res) => {
    const p = principalOf(res);
    const limit = parseLimit(req.query.limit);
    const after = nameCursor.decode(req.query.cursor);
    await deps.authz.require({ principal: p, action: 'policies:read', resource: resource() }, requestContext(req, res));
    const rows = await deps.policies.list(p.companyId, limit + 1, after);
    res.json(toPage(rows, limit, nameCursor, (x) => x, policyJson));
  });

  r.post('/policies/simulate', async (req, res) => {
    const p = principalOf(res);
    const body = parseInput(simulateSchema, req.body);
    await deps.authz.require({ principal: p, action: 'policies:read', resource: resource() }, requestContext(req, res));
    let subject: Principal;
    if ('userId' in body.principal) {
      const u = await deps.users.find(p.companyId, body.principal.userId);
      if (!u) throw new UnprocessableError('principal.userId is not a user of this company', { errors: [{ path: 'principal.userId', message: 'no such user' }] });
      subject = { type: 'user', id: u.id, companyId: p.companyId, roles: u.roles, groups: u.groups, label: u.email };
    } else if ('tokenId' in body.principal) {
      const t = await deps.tokens.find(p.companyId, body.principal.tokenId);
      if (!t) throw new UnprocessableError('principal.tokenId is not a token of this company', { errors: [{ path: 'principal.tokenId', message: 'no such token' }] });
      subject = { type: 'token', id: t.id, companyId: p.companyId, roles: t.roles, groups: t.groups, label: t.name };
    } else {
      subject = { type: 'user', id: 'simulated', companyId: p.companyId, roles: body.principal.roles, groups: body.principal.groups, label: 'simulated' };
    }
    let target: ResourceAttrs;
    if ('secret' in body.resource) {
      const s = await deps.secrets.findLive(p.companyId, body.resource.secret);
      if (!s) throw new UnprocessableError(`No secret named ${body.resource.secret}`, { errors: [{ path: 'resource.secret', message: 'no such secret' }] });
      target = secretResource(s);
    } else {
      const h = body.resource;
      target = { kind: (h.kind ?? 'secret') as ResourceAttrs['kind'], ...(h.name !== undefined ? { name: h.name } : {}), ...(h.tags ? { tags: h.tags } : {}) };
    }
    const decision = await deps.authz.decide({ principal: subject, action: body.action, resource: target });
    res.json(decision);
  });

  r.post('/policies', async (req, res) => {
    const p = principalOf(res);
    const doc = parseDocument(req.body);
    const ctx = requestContext(req, res);
    await deps.authz.require({ principal: p, action: 'policies:write', resource: resource(doc.name) }, ctx);
    const row = await deps.dataSource.transaction(async (em) => {
      assertWithinLimits(await deps.policies.lockOthers(em, p.companyId), doc);
      const created = await deps.policies.insert(em, p.companyId, doc);
      await audited(p, 'policies:create', created, ctx, em);
      return created;
    });
    await deps.announcePolicyChange(p.companyId);
    res.status(201).json({ policy: policyJson(row) });
  });

  r.get('/policies/:id', async (req, res) => {
    const p = principalOf(res);
    const { id } = parseInput(idParams, req.params, 'id');
    const row = await find(p, id);
    await deps.authz.require({ principal: p, action: 'policies:read', resource: resource(row.name) }, requestContext(req, res));
    res.json({ policy: policyJson(row) });
  });

  r.put('/policies/:id', async (req, res) => {
    const p = principalOf(res);
    const { id } = parseInput(idParams, req.params, 'id');
    const doc = parseDocument(req.body);
    const ctx = requestContext(req, res);
    const current = await find(p, id);
    await deps.authz.require({ principal: p, action: 'policies:write', resource: resource(current.name) }, ctx);
    const row = await deps.dataSource.transaction(async (em) => {
      assertWithinLimits(await deps.policies.lockOthers(em, p.companyId, id), doc);
      const updated = await deps.policies.replace(em, p.companyId, id, doc);
      if (!updated) throw new NotFoundError('No such policy');
      await audited(p, 'policies:update', updated, ctx, em);
      return updated;
    });
    await deps.announcePolicyChange(p.companyId);
    res.json({ policy: policyJson(row) });
  });

  r.delete('/policies/:id', async (req, res) => {
    const p = principalOf(res);
    const { id } = parseInput(idParams, req.params, 'id');
    const ctx = requestContext(req, res);
    const current = await find(p, id);
    await deps.authz.require({ principal: p, action: 'policies:write', resource: resource(current.name) }, ctx);
    await deps.dataSource.transaction(async (em) => {
      if (!(await deps.policies.remove(em, p.companyId, id))) throw new NotFoundError('No such policy');
      await audited(p, 'policies:delete', current, ctx, em);
    });
    await deps.announcePolicyChange(p.companyId);
    res.status(204).end();
  });

  return r;
};
