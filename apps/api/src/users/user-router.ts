import { Router } from 'express';
import type { AuthzService } from '../authz/authz-service.js';
import { emailCursor, parseLimit, toPage } from '../http/pagination.js';
import { principalOf, requestContext } from '../http/request-context.js';
import { idParams, parseInput } from '../http/validate.js';
import type { UserRepository } from './user-repository.js';
import type { UserService } from './user-service.js';
import { createUserSchema, updateUserSchema, userJson } from './user-types.js';


export const userRouter = (deps: { users: UserService; userRepo: Pick<UserRepository, 'list'>; authz: AuthzService }): Router => {
  const r = Router();
  const userResource = (name?: string) => ({ kind: 'user' as const, ...(name ? { name } : {}) });

  r.get('/users', async (req, res) => {
    const p = principalOf(res);
    const limit = parseLimit(req.query.limit);
    const after = emailCursor.decode(req.query.cursor);
    await deps.authz.require({ principal: p, action: 'users:read', resource: userResource() }, requestContext(req, res));
    const rows = await deps.userRepo.list(p.companyId, limit + 1, after);
    res.json(toPage(rows, limit, emailCursor, (u) => ({ email: u.email, id: u.id }), userJson));
  });

  r.post('/users', async (req, res) => {
    const p = principalOf(res);
    const body = parseInput(createUserSchema, req.body);
    const ctx = requestContext(req, res);
    await deps.authz.require({ principal: p, action: 'users:write', resource: userResource(body.email) }, ctx);
    const user = await deps.users.create(p, body, ctx);
    res.status(201).json({ user: userJson(user) });
  });

  r.get('/users/:id', async (req, res) => {
    const p = principalOf(res);
    const { id } = parseInput(idParams, req.params, 'id');
    const user = await deps.users.get(p, id);
    await deps.authz.require({ principal: p, action: 'users:read', resource: userResource(user.email) }, requestContext(req, res));
    res.json({ user: userJson(user) });
  });

  r.patch('/users/:id', async (req, res) => {
    const p = principalOf(res);
    const { id } = parseInput(idParams, req.params, 'id');
    const body = parseInput(updateUserSchema, req.body);
    const ctx = requestContext(req, res);
    const target = await deps.users.get(p, id);
    await deps.authz.require({ principal: p, action: 'users:write', resource: userResource(target.email) }, ctx);
    const user = await deps.users.update(p, id, body, ctx);
    res.json({ user: userJson(user) });
  });

  r.delete('/users/:id', async (req, res) => {
    const p = principalOf(res);
    const { id } = parseInput(idParams, req.params, 'id');
    const ctx = requestContext(req, res);
    const target = await deps.users.get(p, id);
    await deps.authz.require({ principal: p, action: 'users:write', resource: userResource(target.email) }, ctx);
    await deps.users.remove(p, id, ctx);
    res.status(204).end();
  });

  return r;
};
