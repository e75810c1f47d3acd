import { Router } from 'express';
import { principalOf } from '../http/request-context.js';
import { parseInput } from '../http/validate.js';
import type { PermissionService } from './permission-service.js';
import { permissionChecksSchema } from './permission-types.js';

export const permissionRouter = (deps: { permissions: PermissionService }): Router => {
  const r = Router();

  r.post('/me/permissions', async (req, res) => {
    const p = principalOf(res);
    const { checks } = parseInput(permissionChecksSchema, req.body);
    res.json({ results: await deps.permissions.check(p, checks) });
  });

  return r;
};
