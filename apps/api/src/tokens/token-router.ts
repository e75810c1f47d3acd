import { lineText, type ServiceTokenRow } from '@nembl/core';
import { Router } from 'express';
import { z } from 'zod';
import type { AuthzService } from '../authz/authz-service.js';
import { nameCursor, parseLimit, toPage } from '../http/pagination.js';
import { dateTimeOut, idOut, pageOf } from '../http/response-schemas.js';
import { principalOf, requestContext } from '../http/request-context.js';
import { idParams, parseInput } from '../http/validate.js';
import { rolesSchema } from '../users/user-types.js';
import type { TokenRepository } from './token-repository.js';
import type { TokenService } from './token-service.js';

export const createTokenSchema = z.strictObject({
  name: lineText.trim().min(1).max(128),
  roles: rolesSchema.default([]),
  groups: rolesSchema.default([]),
  expiresAt: z.iso
    .datetime({ offset: true, message: 'must be an ISO 8601 date-time' })
    .transform((s) => new Date(s))
    .optional(),
});

export const tokenSchema = z
  .object({
    id: idOut,
    name: z.string(),
    roles: z.array(z.string()),
    groups: z.array(z.string()),
    createdAt: dateTimeOut,
    createdBy: idOut
      .nullable()
      .meta({
        description: 'Id of the user that created it (null when a token did). Removing that user revokes the token.',
      }),
    createdByToken: idOut.nullable().meta({
      description:
        'Id of the token that created it (null when a user did). Revoking that token revokes this one; it never expires after it.',
    }),
    expiresAt: dateTimeOut.nullable(),
    lastUsedAt: dateTimeOut.nullable(),
  })
  .meta({
    id: 'Token',
    description: 'A service token. The token string itself is never shown again after creation (stored hashed).',
  });

export const createdTokenSchema = tokenSchema
  .extend({ token: z.string().meta({ description: 'The bearer token (`nmbl_…`), shown once.' }) })
  .meta({ id: 'CreatedToken' });
export const tokenEnvelopeSchema = z.object({ token: tokenSchema });
export const tokenPageSchema = pageOf(tokenSchema, 'TokenPage');

export const tokenJson = (t: ServiceTokenRow): z.infer<typeof tokenSchema> => ({
  id: t.id,
  name: t.name,
  roles: t.roles,
  groups: t.groups,
  createdAt: t.createdAt.toISOString(),
  createdBy: t.createdBy,
  createdByToken: t.createdByToken,
  expiresAt: t.expiresAt?.toISOString() ?? null,
  lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
});

export const tokenRouter = (deps: {
  tokens: TokenService;
  tokenRepo: Pick<TokenRepository, 'list'>;
  authz: AuthzService;
}): Router => {
  const r = Router();
  const resource = (name?: string) => ({ kind: 'token' as const, ...(name ? { name } : {}) });

  r.get('/tokens', async (req, res) => {
    const p = principalOf(res);
    const limit = parseLimit(req.query.limit);
    const after = nameCursor.decode(req.query.cursor);
    await deps.authz.require({ principal: p, action: 'tokens:read', resource: resource() }, requestContext(req, res));
    const rows = await deps.tokenRepo.list(p.companyId, limit + 1, after);
    res.json(toPage(rows, limit, nameCursor, (t) => t, tokenJson));
  });

  r.post('/tokens', async (req, res) => {
    const p = principalOf(res);
    const body = parseInput(createTokenSchema, req.body);
    const ctx = requestContext(req, res);
    await deps.authz.require({ principal: p, action: 'tokens:write', resource: resource(body.name) }, ctx);
    const { row, token } = await deps.tokens.create(p, body, ctx);
    res.setHeader('Cache-Control', 'no-store');
    res.status(201).json({ ...tokenJson(row), token });
  });

  r.get('/tokens/:id', async (req, res) => {
    const p = principalOf(res);
    const { id } = parseInput(idParams, req.params, 'id');
    const row = await deps.tokens.get(p, id);
    await deps.authz.require(
      { principal: p, action: 'tokens:read', resource: resource(row.name) },
      requestContext(req, res),
    );
    res.json({ token: tokenJson(row) });
  });

  r.delete('/tokens/:id', async (req, res) => {
    const p = principalOf(res);
    const { id } = parseInput(idParams, req.params, 'id');
    const ctx = requestContext(req, res);
    const row = await deps.tokens.get(p, id);
    await deps.authz.require({ principal: p, action: 'tokens:write', resource: resource(row.name) }, ctx);
    await deps.tokens.revoke(p, row, ctx);
    res.status(204).end();
  });

  return r;
};
